import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import { roomOf, rowsOf, signUpMember, type Member } from './chat-fixture';
import {
  acked,
  closeAllClients,
  messagesBefore,
  sendMarker,
  WAIT_MS,
  type ChatClient,
  connectLive,
} from './socket-client';

const TWO_MEGABYTES = 2 * 1024 * 1024;

let app: WebApp;
let node: ChatNode;
const rawSockets = new Set<WebSocket>();
beforeAll(async () => {
  app = await startWebApp();
  node = await startChatNode();
});
afterEach(() => {
  closeAllClients();
  for (const socket of rawSockets) socket.terminate();
  rawSockets.clear();
});
afterAll(async () => {
  await node?.close();
  await app?.close();
});

function join(member: Member, roomName: string, transport?: 'polling'): Promise<ChatClient> {
  return connectLive(node.url, roomName, { token: member.token, transport });
}

interface RawConnection {
  socket: WebSocket;
  frames: string[];
  /** Resolves with the close code once the connection is closed. */
  closed: Promise<number>;
  /** Resolves with the first frame starting with `prefix`. */
  frameStartingWith(prefix: string): Promise<string>;
}

/**
 * A bare engine.io v4 WebSocket, joined to the room's namespace by hand (`40<nsp>,{auth}`), so
 * that the test can then write frames no Socket.IO client would.
 */
async function rawJoin(member: Member, roomName: string): Promise<RawConnection> {
  const socket = new WebSocket(`ws://127.0.0.1:${node.port}/socket.io/?EIO=4&transport=websocket`);
  rawSockets.add(socket);
  const frames: string[] = [];
  const wakers = new Set<() => void>();
  socket.on('message', (data: Buffer) => {
    frames.push(data.toString('utf8'));
    for (const wake of [...wakers]) wake();
  });
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  const frameStartingWith = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const wake = () => {
        const frame = frames.find((candidate) => candidate.startsWith(prefix));
        if (frame === undefined) return;
        clearTimeout(timer);
        wakers.delete(wake);
        resolve(frame);
      };
      const timer = setTimeout(() => {
        wakers.delete(wake);
        reject(new Error(`no frame starting with ${prefix}; got ${JSON.stringify(frames)}`));
      }, WAIT_MS);
      wakers.add(wake);
      wake();
    });
  await frameStartingWith('0{');
  const namespace = `/ws/${encodeURIComponent(roomName)}`;
  socket.send(`40${namespace},${JSON.stringify({ token: member.token })}`);
  await frameStartingWith(`40${namespace},`);
  return { socket, frames, closed, frameStartingWith };
}

/** Rejects when the connection is still open after the wait. */
async function closedWithin(connection: RawConnection): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the connection is still open')), WAIT_MS);
  });
  try {
    return await Promise.race([connection.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A bystander in the room sends and receives as before: the node still serves others. */
async function expectRoomStillServed(roomId: number, bystanders: ChatClient[]): Promise<void> {
  const marker = await sendMarker(bystanders[0]!, bystanders);
  expect(marker.roomId).toBe(roomId);
  for (const bystander of bystanders) {
    expect(bystander.socket.connected).toBe(true);
    expect(messagesBefore(bystander, marker)).toEqual([]);
  }
  expect(node.server.listening).toBe(true);
}

describe('garbage frames on a raw engine.io WebSocket', () => {
  const garbage: [string, (namespace: string) => string | Buffer][] = [
    ['text that is no engine.io packet', () => 'this is not an engine.io packet'],
    ['an engine.io message that is no Socket.IO packet', () => '4{{{not socket.io'],
    ['a Socket.IO event with broken JSON', (namespace) => `42${namespace},["message",{"content":`],
    ['unexpected binary data', () => randomBytes(512)],
  ];

  it.each(garbage)(
    'when a client sends %s, then only that connection is closed and the room is still served',
    async (_label, frameFor) => {
      const alice = await signUpMember(app, 'alice');
      const bob = await signUpMember(app, 'bob');
      const room = await roomOf(alice);
      const bystander = await join(bob, room.name);
      const attacker = await rawJoin(alice, room.name);

      attacker.socket.send(frameFor(`/ws/${encodeURIComponent(room.name)}`));

      await closedWithin(attacker);
      await expectRoomStillServed(room.id, [bystander]);
      expect((await rowsOf(app, room.id)).map((row) => row.username)).toEqual([bob.username]);
    },
  );

  it('when a raw frame is larger than maxHttpBufferSize, then only that connection is closed', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const bystander = await join(bob, room.name);
    const attacker = await rawJoin(alice, room.name);
    const namespace = `/ws/${encodeURIComponent(room.name)}`;

    attacker.socket.send(
      `42${namespace},${JSON.stringify(['message', { content: 'x'.repeat(TWO_MEGABYTES) }])}`,
    );

    await closedWithin(attacker);
    await expectRoomStillServed(room.id, [bystander]);
    expect(await rowsOf(app, room.id)).toHaveLength(1);
  });
});

describe('oversized and odd Socket.IO events', () => {
  it.each(['websocket', 'polling'] as const)(
    'when a Socket.IO client over %s sends a 2 MB message, then that client is disconnected, nothing is stored, and others still chat',
    async (transport) => {
      const alice = await signUpMember(app, 'alice');
      const bob = await signUpMember(app, 'bob');
      const room = await roomOf(alice);
      const bystander = await join(bob, room.name);
      const sender = await join(alice, room.name, transport === 'polling' ? 'polling' : undefined);

      sender.socket.emit('message', { content: 'x'.repeat(TWO_MEGABYTES) }, () => undefined);

      await sender.disconnected();
      expect(sender.socket.connected).toBe(false);
      await expectRoomStillServed(room.id, [bystander]);
      expect((await rowsOf(app, room.id)).map((row) => row.username)).toEqual([bob.username]);
    },
  );

  it('when a client emits message without an ack callback, typing with junk and unknown events, then the node keeps serving the room', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const bystander = await join(bob, room.name);
    const odd = await join(alice, room.name);
    const untyped = odd.socket as unknown as Socket;

    untyped.emit('message', { content: 'no ack callback' });
    untyped.emit('message');
    untyped.emit('typing', 'x'.repeat(10_000), 42);
    untyped.emit('no-such-event', { a: 1 });

    const marker = await sendMarker(bystander, [bystander]);
    expect(marker.roomId).toBe(room.id);
    expect(bystander.socket.connected).toBe(true);
    // Whether an unacknowledged message is stored is not specified; any that is, is broadcast.
    const stored = (await rowsOf(app, room.id)).filter((row) => row.id !== marker.id);
    expect(messagesBefore(bystander, marker).map((m) => m.id)).toEqual(stored.map((r) => r.id));
    expect(acked(await bystander.send('still served')).seq).toBe(marker.seq + 1);
  });
});
