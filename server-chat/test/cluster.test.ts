import type { Message } from '@parley/contracts';
import type { RevokedTokenRow, RoomRow } from '@parley/db';
import { createRoom, postMessage, roomPath } from '../../server-web/test/rest-client';
import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { spawnChatNode, type ChatNodeProcess } from '../../test/support/chat-node-process';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import {
  acked,
  closeAllClients,
  join,
  mapConcurrently,
  range,
  refusalOf,
  signUpMember,
  storedMessages,
  waitUntil,
  type Member,
  type RoomClient,
} from './cluster-client';

// Two chat nodes in this process share rooms through the local Redis (sharded adapter).
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let web: WebApp;
let nodeA: ChatNode;
let nodeB: ChatNode;
let nodeProcess: ChatNodeProcess | undefined;

beforeAll(async () => {
  web = await startWebApp();
  nodeA = await startChatNode({ REDIS_URL });
  nodeB = await startChatNode({ REDIS_URL });
});

afterEach(async () => {
  closeAllClients();
  await nodeProcess?.kill();
  nodeProcess = undefined;
});

afterAll(async () => {
  await Promise.all([nodeA?.close(), nodeB?.close()]);
  await web?.close();
});

const seqsOf = (messages: { seq: number }[]) => messages.map((message) => message.seq);
const sortedNames = (...members: Member[]) => members.map((member) => member.username).sort();

/**
 * Sends `count` messages as `client` (content and clientId `<username> <label>#<n>`, so a label
 * must not repeat for one client), at most `window` awaiting their ack at once.
 */
async function sendMany(
  client: RoomClient,
  count: number,
  label = '',
  window = 10,
): Promise<Message[]> {
  const contents = range(1, count).map((n) => `${client.username} ${label}#${n}`);
  const acks = await mapConcurrently(contents, window, (content) => client.send(content, content));
  return acks.map(acked);
}

describe('two chat nodes sharing a room', () => {
  test('when members on different nodes talk, then each sees both messages once and the other in presence', async () => {
    // Arrange
    const [alice, bob] = await Promise.all([signUpMember(web, 'alice'), signUpMember(web, 'bob')]);
    const room = await createRoom(alice.rest);
    const onA = await join(nodeA, room.name, alice);
    const onB = await join(nodeB, room.name, bob);

    // Act
    const fromA = acked(await onA.send('hello from A'));
    const fromB = acked(await onB.send('hello from B'));

    // Assert: a later marker arrives after anything sent before it (seq order), so what came
    // before it is complete.
    const marker = acked(await onA.send('marker'));
    for (const client of [onA, onB]) {
      await waitUntil(
        () => client.live.some((message) => message.id === marker.id),
        `${client.username} receives the marker`,
      );
      expect(client.live.map((message) => message.content)).toEqual([
        'hello from A',
        'hello from B',
        'marker',
      ]);
      expect(seqsOf(client.live)).toEqual([1, 2, 3]);
      await waitUntil(
        () => client.presence()?.join() === sortedNames(alice, bob).join(),
        `${client.username} sees both in presence`,
      );
    }
    expect([fromA.seq, fromB.seq]).toEqual([1, 2]);
    const rows = await storedMessages(web, room.id);
    expect(rows.map((row) => [row.seq, row.username, row.content])).toEqual([
      [1, alice.username, 'hello from A'],
      [2, bob.username, 'hello from B'],
      [3, alice.username, 'marker'],
    ]);
  });

  test('when a member on node A types, then a member on node B is told who is typing, and the typist is not', async () => {
    // Arrange
    const [alice, bob] = await Promise.all([signUpMember(web, 'alice'), signUpMember(web, 'bob')]);
    const room = await createRoom(alice.rest);
    const onA = await join(nodeA, room.name, alice);
    const onB = await join(nodeB, room.name, bob);
    await waitUntil(() => onA.presence()?.length === 2, 'alice sees bob joined');

    // Act
    onA.typing();

    // Assert: bob's answer crosses the nodes the other way; by then alice's own echo, if any,
    // would have arrived too.
    await waitUntil(() => onB.typings.length > 0, 'bob is told alice is typing');
    onB.typing();
    await waitUntil(() => onA.typings.length > 0, 'alice is told bob is typing');
    expect(onB.typings.map((typing) => typing.payload)).toEqual([alice.username]);
    expect(onA.typings.map((typing) => typing.payload)).toEqual([bob.username]);
    expect(await storedMessages(web, room.id)).toEqual([]);
  });

  test('when three senders on two nodes send 300 messages, then every client receives each once in seq order 1..300 and the table holds exactly those rows', async () => {
    // Arrange: senders 1 and 2 on A, sender 3 on B; two more receivers on each node.
    const members = await Promise.all(range(1, 7).map(() => signUpMember(web, 'crowd')));
    const room = await createRoom(members[0]!.rest);
    const nodes = [nodeA, nodeA, nodeB, nodeA, nodeA, nodeB, nodeB];
    const clients = await Promise.all(
      members.map((member, index) => join(nodes[index]!, room.name, member)),
    );
    const senders = clients.slice(0, 3);
    await waitUntil(
      () => clients.every((client) => client.presence()?.length === 7),
      'everyone sees all seven members',
    );

    // Act
    const sent = (await Promise.all(senders.map((sender) => sendMany(sender, 100)))).flat();

    // Assert
    expect(seqsOf(sent).sort((a, b) => a - b)).toEqual(range(1, 300));
    for (const client of clients) {
      await waitUntil(
        () => client.live.length >= 300,
        `${client.username} receives 300 messages (has ${client.live.length})`,
        30_000,
      );
    }
    // A typing round trip between the nodes gives any late duplicate time to show up.
    senders[2]!.typing();
    senders[0]!.typing();
    await waitUntil(
      () => clients.every((client) => client.typings.length > 0),
      'typing reaches everyone',
    );
    const byId = new Map(sent.map((message) => [message.id, message]));
    for (const client of clients) {
      expect(seqsOf(client.live)).toEqual(range(1, 300));
      expect(client.live.every((message) => byId.get(message.id)?.seq === message.seq)).toBe(true);
    }
    const rows = await storedMessages(web, room.id);
    expect(rows.map((row) => row.seq)).toEqual(range(1, 300));
    expect(rows.map((row) => row.content).sort()).toEqual(
      sent.map((message) => message.content).sort(),
    );
    const roomRow = await web.deps.db<RoomRow>('chat_rooms').where({ id: room.id }).first();
    expect(roomRow?.last_seq).toBe(300);
  }, 90_000);

  test('when a member reconnects with lastSeq, then history brings exactly the messages sent on the other node meanwhile', async () => {
    // Arrange
    const [xena, yann] = await Promise.all([signUpMember(web, 'xena'), signUpMember(web, 'yann')]);
    const room = await createRoom(xena.rest);
    const writer = await join(nodeA, room.name, xena);
    const reader = await join(nodeB, room.name, yann);
    await sendMany(writer, 3, 'seen');
    await waitUntil(() => reader.live.length === 3, 'the reader holds messages 1..3');
    reader.close();
    const missed = await sendMany(writer, 5, 'missed');

    // Act
    const back = await join(nodeB, room.name, yann, { lastSeq: reader.lastSeq() });

    // Assert: every history page comes before presence.
    await waitUntil(() => back.presence() !== undefined, 'presence after history');
    const history = back.histories.flat();
    expect({ history: seqsOf(history), live: seqsOf(back.live) }).toEqual({
      history: [4, 5, 6, 7, 8],
      live: [],
    });
    expect(history.map((message) => message.content)).toEqual(
      missed.map((message) => message.content),
    );
    expect(seqsOf(await storedMessages(web, room.id))).toEqual(range(1, 8));
  });

  test('when more messages were missed than one page holds, then history still brings every one of them', async () => {
    // Arrange
    const [xena, yann] = await Promise.all([signUpMember(web, 'xena'), signUpMember(web, 'yann')]);
    const room = await createRoom(xena.rest);
    const writer = await join(nodeA, room.name, xena);
    await sendMany(writer, 1, 'seen');
    await sendMany(writer, 130, 'missed');

    // Act
    const back = await join(nodeB, room.name, yann, { lastSeq: 1 });

    // Assert
    await waitUntil(() => back.presence() !== undefined, 'presence after history');
    expect({ history: seqsOf(back.histories.flat()), live: seqsOf(back.live) }).toEqual({
      history: range(2, 131),
      live: [],
    });
  }, 60_000);

  test('when a message is posted over REST, then members on both nodes receive it like a socket message', async () => {
    // Arrange
    const [alice, bob] = await Promise.all([signUpMember(web, 'alice'), signUpMember(web, 'bob')]);
    const room = await createRoom(alice.rest);
    const clients = [await join(nodeA, room.name, alice), await join(nodeB, room.name, bob)];

    // Act
    const posted = await postMessage(bob.rest, room.name, 'posted over REST');

    // Assert
    for (const client of clients) {
      await waitUntil(() => client.live.length > 0, `${client.username} receives the post`);
      expect(client.live).toEqual([posted]);
    }
  });

  test('when the owner deletes the room through REST, then clients on both nodes get room_deleted, are disconnected and cannot come back', async () => {
    // Arrange
    const [alice, bob] = await Promise.all([signUpMember(web, 'alice'), signUpMember(web, 'bob')]);
    const room = await createRoom(alice.rest);
    const clients = [await join(nodeA, room.name, alice), await join(nodeB, room.name, bob)];
    acked(await clients[0]!.send('soon gone'));

    // Act
    const response = await alice.rest.delete(roomPath(room.name));

    // Assert
    expect(response.status).toBe(204);
    for (const client of clients) {
      await waitUntil(
        () => client.disconnectedAt() !== undefined,
        `${client.username} is disconnected`,
      );
      expect(client.deletions).toEqual([room.name]);
      const tail = client.timeline.slice(client.timeline.indexOf('room_deleted'));
      expect(tail).toEqual(['room_deleted', 'disconnect']);
    }
    expect(await web.deps.db('chat_rooms').where({ id: room.id })).toEqual([]);
    expect(await storedMessages(web, room.id)).toEqual([]);
    expect(await refusalOf(nodeA, room.name, alice.token)).toBe('room_not_found');
    expect(await refusalOf(nodeB, room.name, bob.token)).toBe('room_not_found');
  });

  test('when a member logs out through REST, then their sockets on both nodes are disconnected within 2 s and others stay', async () => {
    // Arrange
    const [dave, erin] = await Promise.all([signUpMember(web, 'dave'), signUpMember(web, 'erin')]);
    const room = await createRoom(erin.rest);
    const daveOnA = await join(nodeA, room.name, dave);
    const daveOnB = await join(nodeB, room.name, dave);
    const erinOnB = await join(nodeB, room.name, erin);
    await waitUntil(() => erinOnB.presence()?.length === 2, 'erin sees dave');

    // Act
    const started = performance.now();
    const response = await dave.rest.post('/api/auth/logout');
    const answered = performance.now();

    // Assert
    expect(response.status).toBe(204);
    await waitUntil(
      () => daveOnA.disconnectedAt() !== undefined && daveOnB.disconnectedAt() !== undefined,
      "dave's sockets on both nodes are disconnected",
      5_000,
      5,
    );
    const latest = Math.max(daveOnA.disconnectedAt()!, daveOnB.disconnectedAt()!);
    console.log(
      `measured: logout → last socket disconnected ${Math.round(latest - answered)} ms after ` +
        `the 204 (${Math.round(latest - started)} ms after the request)`,
    );
    expect(latest - answered).toBeLessThan(2_000);
    expect(erinOnB.socket.connected).toBe(true);
    await waitUntil(
      () => erinOnB.presence()?.join() === erin.username,
      'erin sees dave gone from presence',
    );
    const jti = (
      JSON.parse(Buffer.from(dave.token.split('.')[1]!, 'base64url').toString()) as {
        jti: string;
      }
    ).jti;
    const revoked = await web.deps.db<RevokedTokenRow>('revoked_tokens').where({ jti });
    expect(revoked).toHaveLength(1);
    expect(await refusalOf(nodeA, room.name, dave.token)).toBe('unauthorized');
  });

  test('when a node dies without cleaning up, then presence on the other nodes drops its users within 30 s', async () => {
    // Arrange: a node in a process of its own, so that SIGKILL is a real crash.
    nodeProcess = await spawnChatNode({ REDIS_URL });
    const [wendy, xavier, vera] = await Promise.all([
      signUpMember(web, 'wendy'),
      signUpMember(web, 'xavier'),
      signUpMember(web, 'vera'),
    ]);
    const room = await createRoom(wendy.rest);
    const onA = await join(nodeA, room.name, wendy);
    const onDoomed = await join(nodeProcess, room.name, xavier);
    await waitUntil(
      () => onA.presence()?.join() === sortedNames(wendy, xavier).join(),
      'wendy sees xavier, who is on the doomed node',
    );

    // Act
    const killed = performance.now();
    await nodeProcess.kill();

    // Assert
    await waitUntil(
      () => onA.presence()?.join() === wendy.username,
      'wendy sees xavier gone from presence',
      30_000,
      50,
    );
    const healed = onA.presences.at(-1)!.at;
    console.log(`measured: presence healed ${Math.round(healed - killed)} ms after SIGKILL`);
    expect(onDoomed.socket.connected).toBe(false);
    expect(onA.socket.connected).toBe(true);
    const onB = await join(nodeB, room.name, vera);
    await waitUntil(() => onB.presence() !== undefined, 'vera receives presence');
    expect(onB.presence()).toEqual(sortedNames(wendy, vera));
  }, 60_000);
});
