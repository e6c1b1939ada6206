import type { Message, PlainServerFrame } from '@parley/contracts';
import { LIMITS, roomNamespace } from '@parley/contracts';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { startWebApp, TEST_SECRET, uniqueName, type WebApp } from '../../test/support/web-app';
import { postMessages, roomOf, rowsOf, signUpMember, type Member } from './chat-fixture';
import { acked, closeAllClients, connectLive, WAIT_MS, type ChatClient } from './socket-client';

let app: WebApp;
let node: ChatNode;
const plainSockets = new Set<WebSocket>();
beforeAll(async () => {
  app = await startWebApp();
  node = await startChatNode();
});
afterEach(() => {
  closeAllClients();
  for (const socket of plainSockets) socket.terminate();
  plainSockets.clear();
});
afterAll(async () => {
  await node?.close();
  await app?.close();
});

interface PlainClient {
  socket: WebSocket;
  frames: PlainServerFrame[];
  /** Resolves with the probe's first truthy value, checked on every frame, ping and close. */
  waitFor<T>(probe: () => T | undefined | null | false): Promise<T>;
  messages(): Message[];
  pings(): number;
  /** The close code once the connection has ended. */
  closeCode(): number | undefined;
}

type PlainOutcome =
  { outcome: 'open'; client: PlainClient } | { outcome: 'refused'; status: number | undefined };

/** Opens a plain WebSocket to a room; a refused upgrade is an outcome, not an exception. */
function openPlain(
  roomName: string,
  headers: Record<string, string>,
  target: ChatNode = node,
  { autoPong = true } = {},
): Promise<PlainOutcome> {
  const socket = new WebSocket(`ws://127.0.0.1:${target.port}${roomNamespace(roomName)}`, {
    headers,
    autoPong,
  });
  plainSockets.add(socket);
  const frames: PlainServerFrame[] = [];
  let pings = 0;
  let closeCode: number | undefined;
  const wakers = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of [...wakers]) wake();
  };
  socket.on('message', (data: Buffer) => {
    frames.push(JSON.parse(data.toString('utf8')) as PlainServerFrame);
    wakeAll();
  });
  socket.on('ping', () => {
    pings++;
    wakeAll();
  });
  socket.on('close', (code: number) => {
    closeCode = code;
    wakeAll();
  });
  const waitFor = <T>(probe: () => T | undefined | null | false) =>
    new Promise<T>((resolve, reject) => {
      const wake = () => {
        const value = probe();
        if (value === undefined || value === null || value === false) return;
        clearTimeout(timer);
        wakers.delete(wake);
        resolve(value);
      };
      const timer = setTimeout(() => {
        wakers.delete(wake);
        reject(new Error(`condition not met; frames: ${JSON.stringify(frames)}`));
      }, WAIT_MS);
      wakers.add(wake);
      wake();
    });
  const client: PlainClient = {
    socket,
    frames,
    waitFor,
    messages: () => frames.flatMap((frame) => (frame.type === 'message' ? [frame.message] : [])),
    pings: () => pings,
    closeCode: () => closeCode,
  };
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ outcome: 'open', client }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ outcome: 'refused', status: response.statusCode });
      socket.terminate();
    });
    socket.once('error', () => resolve({ outcome: 'refused', status: undefined }));
  });
}

async function openPlainOrFail(
  roomName: string,
  headers: Record<string, string>,
  target: ChatNode = node,
  options: { autoPong?: boolean } = {},
) {
  const result = await openPlain(roomName, headers, target, options);
  if (result.outcome !== 'open') throw new Error(`plain WebSocket refused: ${result.status}`);
  return result.client;
}

/**
 * The presence `observer` is told once `plain`'s user is in it, then, after `plain` closes, once
 * that user is gone.
 */
async function presenceUntilClosed(observer: ChatClient, plain: PlainClient, username: string) {
  const latest = () => observer.of('presence').at(-1)?.users;
  const withUser = await observer.waitFor(() => latest()?.includes(username) && latest());
  plain.socket.close();
  const withoutUser = await observer.waitFor(() => !latest()?.includes(username) && latest());
  return { withUser, withoutUser };
}

function join(member: Member, roomName: string): Promise<ChatClient> {
  return connectLive(node.url, roomName, { token: member.token });
}

describe('plain WebSocket clients', () => {
  it('when a plain client (cookie) sends a text frame, then it is stored and reaches Socket.IO and plain clients alike', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const bobTab = await join(bob, room.name);
    const plain = await openPlainOrFail(room.name, { cookie: alice.account.cookie });

    plain.socket.send('hello from a plain client');

    const echoed = await plain.waitFor(() => plain.messages()[0]);
    const received = await bobTab.waitFor(() => bobTab.messages()[0]);
    expect(echoed).toEqual(
      expect.objectContaining({
        roomId: room.id,
        seq: 1,
        username: alice.username,
        content: 'hello from a plain client',
      }),
    );
    expect(received).toEqual(echoed);
    expect(plain.frames[0]).toEqual({ type: 'message', message: echoed });
    const rows = await rowsOf(app, room.id);
    expect(rows.map((row) => [row.id, row.username, row.content])).toEqual([
      [echoed.id, alice.username, 'hello from a plain client'],
    ]);
  });

  it('when a plain client connects to a room with earlier messages, then it receives none of them, only what comes after', async () => {
    const alice = await signUpMember(app, 'alice');
    const room = await roomOf(alice);
    await postMessages(alice, room.name, 3);
    const plain = await openPlainOrFail(room.name, { cookie: alice.account.cookie });

    plain.socket.send('after connecting');

    const first = await plain.waitFor(() => plain.messages()[0]);
    expect(first).toEqual(expect.objectContaining({ seq: 4, content: 'after connecting' }));
    expect(plain.messages()).toEqual([first]);
  });

  it('when a Socket.IO client sends, then a plain client (Bearer) receives it as a message frame', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const plain = await openPlainOrFail(room.name, { authorization: `Bearer ${bob.token}` });
    // The plain client's own message coming back shows it is live in the room.
    plain.socket.send('ready');
    await plain.waitFor(() => plain.messages()[0]);
    const aliceTab = await join(alice, room.name);

    const sent = acked(await aliceTab.send('<b>from Socket.IO</b>'));

    const received = await plain.waitFor(() => plain.messages()[1]);
    expect(received).toEqual(sent);
    expect(plain.messages()).toHaveLength(2);
  });

  it('when a plain client sends blank text, then nothing is stored and it gets a validation_failed error frame', async () => {
    const alice = await signUpMember(app, 'alice');
    const room = await roomOf(alice);
    const plain = await openPlainOrFail(room.name, { cookie: alice.account.cookie });

    plain.socket.send('   ');

    const error = await plain.waitFor(() => plain.frames.find((frame) => frame.type === 'error'));
    expect(error).toEqual({
      type: 'error',
      error: { code: 'validation_failed', message: expect.any(String) as string },
    });
    expect(await rowsOf(app, room.id)).toEqual([]);
    expect(plain.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('when plain clients send a frame over the size limit or text that is not UTF-8, then only their connections close and the room goes on', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const tooLarge = await openPlainOrFail(room.name, { cookie: alice.account.cookie });
    const notUtf8 = await openPlainOrFail(room.name, { cookie: alice.account.cookie });
    const bobTab = await join(bob, room.name);

    tooLarge.socket.send('x'.repeat(LIMITS.restBodyMaxBytes + 1));
    notUtf8.socket.send(Buffer.from([0x68, 0x69, 0xff, 0xfe]), { binary: false });
    const codes = await Promise.all(
      [tooLarge, notUtf8].map((client) => client.waitFor(() => client.closeCode())),
    );
    const after = acked(await bobTab.send('still here'));

    // 1009 message too big, 1007 invalid payload; the node kept serving the room.
    expect(codes).toEqual([1009, 1007]);
    expect(after).toEqual(expect.objectContaining({ seq: 1, content: 'still here' }));
    expect((await rowsOf(app, room.id)).map((row) => row.content)).toEqual(['still here']);
  });

  it('when clients reset their connections while their upgrades are being checked, then the node stays up and serves the room', async () => {
    const alice = await signUpMember(app, 'alice');
    const room = await roomOf(alice);
    const paths = [roomNamespace(room.name), '/socket.io/?EIO=4&transport=websocket'];
    const clients = new Map<number, Socket>();
    const closes: Promise<unknown>[] = [];
    let allUpgrading: () => void;
    const upgrading = new Promise<void>((resolve) => (allUpgrading = resolve));
    // The reset arrives while the node is still checking the upgrade (session, room).
    const resetOnUpgrade = (_request: unknown, socket: Socket) => {
      closes.push(new Promise((resolve) => socket.once('close', resolve)));
      clients.get(socket.remotePort!)?.resetAndDestroy();
      if (closes.length === paths.length) allUpgrading();
    };
    node.server.prependListener('upgrade', resetOnUpgrade);

    try {
      for (const path of paths) {
        const client = connect(node.port, '127.0.0.1');
        client.on('error', () => undefined);
        await once(client, 'connect');
        clients.set(client.localPort!, client);
        client.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
            'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
            `Authorization: Bearer ${alice.token}\r\n\r\n`,
        );
      }
      await upgrading;
      await Promise.all(closes);
    } finally {
      node.server.off('upgrade', resetOnUpgrade);
    }
    const plain = await openPlainOrFail(room.name, { cookie: alice.account.cookie });
    plain.socket.send('after the resets');

    expect(await plain.waitFor(() => plain.messages()[0]?.content)).toBe('after the resets');
  });

  describe('refused upgrades', () => {
    it('when there is no session, then the upgrade is refused', async () => {
      const alice = await signUpMember(app, 'alice');
      const room = await roomOf(alice);

      const result = await openPlain(room.name, {});

      expect(result).toEqual({ outcome: 'refused', status: 401 });
    });

    it('when the token is forged or expired, then the upgrade is refused', async () => {
      const alice = await signUpMember(app, 'alice');
      const room = await roomOf(alice);
      const claims = { username: alice.username, jti: randomUUID() };
      const forged = jwt.sign(claims, 'another-secret-that-is-long-enough-0123', {
        subject: String(alice.account.user.id),
        expiresIn: 600,
      });
      const expired = jwt.sign(
        { ...claims, exp: Math.floor(Date.now() / 1000) - 60 },
        TEST_SECRET,
        { subject: String(alice.account.user.id) },
      );

      for (const token of [forged, expired]) {
        const result = await openPlain(room.name, { authorization: `Bearer ${token}` });
        expect(result).toEqual({ outcome: 'refused', status: 401 });
      }
    });

    it('when the token was revoked, then the upgrade is refused', async () => {
      const alice = await signUpMember(app, 'alice');
      const room = await roomOf(alice);
      expect((await alice.rest.post('/api/auth/logout')).status).toBe(204);

      const result = await openPlain(room.name, { cookie: alice.account.cookie });

      expect(result).toEqual({ outcome: 'refused', status: 401 });
    });

    it('when the room does not exist, then the upgrade is refused', async () => {
      const alice = await signUpMember(app, 'alice');

      const result = await openPlain(uniqueName('nowhere'), { cookie: alice.account.cookie });

      expect(result).toEqual({ outcome: 'refused', status: 404 });
    });

    it('when the Origin is a foreign site, then the upgrade is refused and nothing is sent', async () => {
      const alice = await signUpMember(app, 'alice');
      const room = await roomOf(alice);

      const result = await openPlain(room.name, {
        cookie: alice.account.cookie,
        origin: 'https://evil.example',
      });

      expect(result).toEqual({ outcome: 'refused', status: 403 });
    });
  });

  it('when a plain client and a Socket.IO client are on different nodes, then each sees the other', async () => {
    const nodeB = await startChatNode({ REDIS_URL: 'redis://127.0.0.1:6379' });
    try {
      const alice = await signUpMember(app, 'alice');
      const bob = await signUpMember(app, 'bob');
      const room = await roomOf(alice);
      const plainOnA = await openPlainOrFail(room.name, { cookie: alice.account.cookie });
      const bobOnB = await connectLive(nodeB.url, room.name, { token: bob.token });

      plainOnA.socket.send('from plain on A');
      const fromBob = acked(await bobOnB.send('from Socket.IO on B'));

      const seenByBob = await bobOnB.waitFor(() =>
        bobOnB.messages().find((message) => message.content === 'from plain on A'),
      );
      const seenByPlain = await plainOnA.waitFor(() =>
        plainOnA.messages().find((message) => message.id === fromBob.id),
      );
      expect(seenByBob.username).toBe(alice.username);
      expect(seenByPlain).toEqual(fromBob);
    } finally {
      closeAllClients();
      await nodeB.close();
    }
  });

  it('when a plain client connects and then leaves, then the Socket.IO clients of the room see it in presence, and then no longer', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(bob);
    const bobTab = await join(bob, room.name);

    const plain = await openPlainOrFail(room.name, { cookie: alice.account.cookie });
    const { withUser: withAlice, withoutUser: withoutAlice } = await presenceUntilClosed(
      bobTab,
      plain,
      alice.username,
    );

    expect(withAlice).toEqual([alice.username, bob.username].sort());
    expect(withoutAlice).toEqual([bob.username]);
  });

  it('when a plain client is on another node than a Socket.IO client, then presence there names it, and drops it when it leaves', async () => {
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379' };
    const [nodeA, nodeB] = await Promise.all([startChatNode(redis), startChatNode(redis)]);
    try {
      const alice = await signUpMember(app, 'alice');
      const bob = await signUpMember(app, 'bob');
      const room = await roomOf(bob);
      const bobOnB = await connectLive(nodeB.url, room.name, { token: bob.token });

      const plainOnA = await openPlainOrFail(
        room.name,
        { authorization: `Bearer ${alice.token}` },
        nodeA,
      );
      const { withUser: withAlice, withoutUser: withoutAlice } = await presenceUntilClosed(
        bobOnB,
        plainOnA,
        alice.username,
      );

      expect(withAlice).toEqual([alice.username, bob.username].sort());
      expect(withoutAlice).toEqual([bob.username]);
    } finally {
      closeAllClients();
      await Promise.all([nodeA.close(), nodeB.close()]);
    }
  });

  it('when a plain client logs out over REST, then its connection is closed within 2 s', async () => {
    const alice = await signUpMember(app, 'alice');
    const room = await roomOf(alice);
    const plain = await openPlainOrFail(room.name, { cookie: alice.account.cookie });
    const closed = new Promise<number>((resolve) =>
      plain.socket.once('close', () => resolve(Date.now())),
    );

    const loggedOutAt = Date.now();
    expect((await alice.rest.post('/api/auth/logout')).status).toBe(204);

    expect((await closed) - loggedOutAt).toBeLessThan(2_000);
  });
});

describe('plain WebSocket heartbeat', () => {
  let pinging: ChatNode;
  beforeAll(async () => {
    pinging = await startChatNode({}, { plainPingIntervalMs: 200 });
  });
  afterAll(async () => {
    await pinging?.close();
  });

  it('when a plain client answers the pings, then it stays connected through several and still receives messages', async () => {
    const alice = await signUpMember(app, 'alice');
    const room = await roomOf(alice);
    const plain = await openPlainOrFail(room.name, { cookie: alice.account.cookie }, pinging);

    await plain.waitFor(() => plain.pings() >= 3);
    const [posted] = await postMessages(alice, room.name, 1);

    expect(await plain.waitFor(() => plain.messages()[0])).toEqual(posted);
    expect(plain.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('when a plain client stops answering pings (network lost), then the server ends its connection and the others stay', async () => {
    const alice = await signUpMember(app, 'alice');
    const room = await roomOf(alice);
    const headers = { cookie: alice.account.cookie };
    const answering = await openPlainOrFail(room.name, headers, pinging);
    const silent = await openPlainOrFail(room.name, headers, pinging, { autoPong: false });

    const silentClosedWith = await silent.waitFor(() => silent.closeCode());
    const [posted] = await postMessages(alice, room.name, 1);

    // 1006: ended without a closing handshake, as a connection to a vanished peer is.
    expect(silentClosedWith).toBe(1006);
    expect(await answering.waitFor(() => answering.messages()[0])).toEqual(posted);
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
  });
});
