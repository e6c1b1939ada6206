import type { MessageAck } from '@parley/contracts';
import { createRoom, postMessage } from '../../server-web/test/rest-client';
import type { ChatOptions } from '@parley/server-chat';
import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { startRedisServer, type RedisProcess } from '../../test/support/redis-server';
import { startStallProxy, type StallProxy } from '../../test/support/stall-proxy';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import {
  acked,
  closeAllClients,
  join,
  range,
  signUpMember,
  storedMessages,
  waitUntil,
  type RoomClient,
} from './cluster-client';

let web: WebApp;
// What a test started, stopped in afterEach even when the test failed half-way.
let nodes: ChatNode[] = [];
let redis: RedisProcess | undefined;
let proxy: TcpProxy | StallProxy | undefined;

beforeAll(async () => {
  web = await startWebApp();
});

afterEach(async () => {
  closeAllClients();
  await Promise.all(nodes.map((node) => node.close().catch(() => undefined)));
  nodes = [];
  await redis?.stop();
  redis = undefined;
  await proxy?.close();
  proxy = undefined;
});

afterAll(async () => {
  await web?.close();
});

// Group commit held back (a 50 ms window, 4 messages a batch), so that a burst of sends is still
// waiting in the node when the database goes away or the node is stopped.
const SLOW_COMMITS: ChatOptions = {
  limits: { messagesPerSecond: 1_000, messageBurst: 2_000 },
  flushWindowMs: 50,
  maxBatchSize: 4,
};

async function startNode(
  env: Record<string, string> = {},
  options?: ChatOptions,
): Promise<ChatNode> {
  const node = await startChatNode(env, options);
  nodes.push(node);
  return node;
}

/** Resolves with the ack, or with 'no answer' when none came within `timeoutMs`. */
const sendWithin = (client: RoomClient, content: string, clientId: string, timeoutMs: number) =>
  client.send(content, clientId, timeoutMs).catch(() => 'no answer' as const);

const round = (ms: number) => Math.round(ms);

/**
 * Sends the same message (same clientId) every 250 ms until it is acked ok or 30 s passed, as a
 * client retrying after `unavailable`; resolves with the last answer and how long it took.
 */
async function retryUntilOk(client: RoomClient, content: string, clientId: string) {
  const started = performance.now();
  let ack: MessageAck | 'no answer' = 'no answer';
  for (let attempt = 0; attempt < 120 && performance.now() - started < 30_000; attempt += 1) {
    ack = await sendWithin(client, content, clientId, 3_000);
    if (ack !== 'no answer' && ack.ok) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { ack, ms: performance.now() - started };
}

// Long enough for the nodes' Redis clients to back off to second-long retry delays, and out of
// step with them: Redis returns while they are still waiting for their next attempt.
const REDIS_OUTAGE_MS = 4_000;

describe('when Redis restarts', () => {
  test('then cross-node messages, typing and presence work again within 5 s of Redis returning, and messages sent meanwhile reach every client', async () => {
    // Arrange: a Redis of this test only, two nodes on it, two members on each node.
    redis = await startRedisServer();
    const nodeA = await startNode({ REDIS_URL: redis.url });
    const nodeB = await startNode({ REDIS_URL: redis.url });
    const members = await Promise.all(range(1, 5).map(() => signUpMember(web, 'fault')));
    const room = await createRoom(members[0]!.rest);
    const [annOnA, benOnB, catOnA, danOnB] = await Promise.all(
      members
        .slice(0, 4)
        .map((member, index) =>
          join(index % 2 === 0 ? nodeA : nodeB, room.name, member, { resync: true }),
        ),
    );
    const clients = [annOnA!, benOnB!, catOnA!, danOnB!];
    await waitUntil(
      () => clients.every((client) => client.presence()?.length === 4),
      'everyone sees four members',
    );
    acked(await annOnA!.send('before the outage'));

    // Act 1: Redis crashes; members on both nodes keep sending.
    await redis.kill();
    const outageStarted = performance.now();
    const duringOutage = [annOnA!, benOnB!].flatMap((client) =>
      range(1, 3).map((n) => {
        const content = `${client.username} during the outage ${n}`;
        return sendWithin(client, content, content, 30_000).then((ack) => ({
          ack,
          at: performance.now(),
        }));
      }),
    );
    let answeredDuringOutage = 0;
    for (const answer of duringOutage) void answer.then(() => (answeredDuringOutage += 1));
    // Sends do not wait for Redis: messages live in PostgreSQL and the rate limit falls back to
    // memory, so every send is answered while Redis is still down.
    await Promise.all(duringOutage);
    const ackedWhileDown = answeredDuringOutage;
    expect(ackedWhileDown).toBe(duringOutage.length);
    // The rest of the outage: a scenario length, not a synchronisation.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, REDIS_OUTAGE_MS - (performance.now() - outageStarted))),
    );

    // Act 2: Redis returns on the same port.
    const redisBack = await redis.start();
    console.log(
      `measured: Redis was down ${round(redisBack - outageStarted)} ms; ` +
        `${ackedWhileDown}/${duringOutage.length} sends were answered while it was down`,
    );

    // Assert: probes from A are seen on B within 5 s of Redis accepting connections again.
    const typingBack = (async () => {
      for (let attempt = 0; attempt < 100; attempt += 1) {
        annOnA!.typing();
        const seen = benOnB!.typings.find((typing) => typing.at > redisBack);
        if (seen) return seen.at - redisBack;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return Infinity;
    })();
    const messageBack = (async () => {
      const probes = new Set<number>();
      for (let attempt = 0; attempt < 20; attempt += 1) {
        const ack = await sendWithin(annOnA!, `probe ${attempt}`, `probe ${attempt}`, 5_000);
        if (ack !== 'no answer' && ack.ok) probes.add(ack.message.id);
        const isSeen = () => benOnB!.live.some((message) => probes.has(message.id));
        const took = await waitUntil(isSeen, 'probe seen on B', 500).catch(() => undefined);
        if (took !== undefined) return performance.now() - redisBack;
      }
      return Infinity;
    })();
    const presenceBack = (async () => {
      const eve = members[4]!;
      await join(nodeA, room.name, eve, { resync: true });
      await waitUntil(
        () => benOnB!.presence()?.includes(eve.username) === true,
        'ben sees eve, who joined on A after Redis returned',
        15_000,
        10,
      );
      return performance.now() - redisBack;
    })();
    const [typingMs, messageMs, presenceMs] = await Promise.all([
      typingBack,
      messageBack,
      presenceBack,
    ]);
    console.log(
      `measured: after Redis returned, A→B typing ${round(typingMs)} ms, message ` +
        `${round(messageMs)} ms, presence ${round(presenceMs)} ms`,
    );
    expect(typingMs).toBeLessThan(5_000);
    expect(messageMs).toBeLessThan(5_000);

    // Messages sent while Redis was down: acked, and held by every client (by seq).
    const answers = await Promise.all(duringOutage);
    console.log(
      `measured: sends made while Redis was down were answered ` +
        `${answers.map(({ at }) => round(at - redisBack)).join(', ')} ms after it returned`,
    );
    expect(answers.map(({ ack }) => (ack === 'no answer' ? ack : ack.ok))).toEqual(
      answers.map(() => true),
    );
    const stored = (await storedMessages(web, room.id)).map((row) => row.seq);
    const missingOf = (client: RoomClient) => stored.filter((seq) => !client.seqs().has(seq));
    await waitUntil(
      () => clients.every((client) => missingOf(client).length === 0),
      'every client holds every stored message',
      15_000,
      50,
    ).catch(() => undefined);
    expect(clients.map(missingOf)).toEqual(clients.map(() => []));
    console.log(
      `measured: resync reconnections per client ${clients.map((c) => c.resyncs()).join('/')}`,
    );
    expect(presenceMs).toBeLessThan(5_000);
  }, 120_000);
});

describe('when PostgreSQL is unreachable', () => {
  test('when connections to it are cut, then sends are acked unavailable within 3 s, no ok ack lacks its row, the node stays up and recovers on its own', async () => {
    // Arrange: the node reaches the database only through a proxy that can be cut.
    const databaseUrl = new URL(process.env.TEST_DATABASE_URL!);
    proxy = await startTcpProxy(Number(databaseUrl.port || 5432), databaseUrl.hostname);
    databaseUrl.port = String(proxy.port);
    const node = await startNode({ DATABASE_URL: databaseUrl.toString() }, SLOW_COMMITS);
    const owner = await signUpMember(web, 'outage');
    const room = await createRoom(owner.rest);
    const client = await join(node, room.name, owner);
    acked(await client.send('before the outage', 'before'));

    // Act 1: cut the database while 20 messages are on their way.
    let answeredBeforeCut = 0;
    const inFlight = range(1, 20).map((n) => {
      const sentAt = performance.now();
      return sendWithin(client, `in flight ${n}`, `in-flight-${n}`, 10_000).then((ack) => {
        answeredBeforeCut += 1;
        return { ack, ms: performance.now() - sentAt };
      });
    });
    await waitUntil(() => answeredBeforeCut > 0, 'a first in-flight send is answered', 5_000, 1);
    await proxy.cut();

    // Act 2: send while it is down.
    const whileDown: { ack: MessageAck | 'no answer'; ms: number }[] = [];
    for (const n of range(1, 5)) {
      const sentAt = performance.now();
      const ack = await sendWithin(client, `while down ${n}`, `down-${n}`, 10_000);
      whileDown.push({ ack, ms: performance.now() - sentAt });
    }
    const statusOf = (path: string) =>
      fetch(`${node.url}${path}`, { signal: AbortSignal.timeout(5_000) }).then(
        (response) => response.status,
        () => 'no answer',
      );
    const health = await statusOf('/healthz');
    const readiness = await statusOf('/readyz');

    // Assert (outage)
    console.log(
      `measured: acks while PostgreSQL is down took ${whileDown.map((s) => round(s.ms)).join(', ')} ms`,
    );
    for (const { ack, ms } of whileDown) {
      expect(ack !== 'no answer' && !ack.ok && ack.error.code).toBe('unavailable');
      expect(ms).toBeLessThan(3_000);
    }
    const cutAnswers = await Promise.all(inFlight);
    console.log(
      `measured: the 20 in flight at the cut: ${cutAnswers.filter((a) => a.ack !== 'no answer' && a.ack.ok).length} ok, ` +
        `slowest answer ${round(Math.max(...cutAnswers.map((a) => a.ms)))} ms`,
    );
    for (const { ack, ms } of cutAnswers) {
      expect(ack === 'no answer' || ack.ok || ack.error.code === 'unavailable').toBe(true);
      expect(ms).toBeLessThan(3_000);
    }
    expect(health).toBe(200);
    expect(readiness).toBe(503);
    expect(client.socket.connected).toBe(true);

    // Act 3: the database returns; the same client retries its first refused message.
    await proxy.restore();
    const { ack: retried, ms: recoveryMs } = await retryUntilOk(client, 'while down 1', 'down-1');
    console.log(`measured: sends succeed again ${round(recoveryMs)} ms after restore`);

    // Assert (recovery): every ok ack has its row; a retried clientId is stored once.
    expect(retried).toMatchObject({ ok: true, message: { content: 'while down 1' } });
    const okAcks = [...cutAnswers.map((answer) => answer.ack), retried].flatMap((ack) =>
      ack !== 'no answer' && ack.ok ? [ack.message] : [],
    );
    const rows = await storedMessages(web, room.id);
    const rowsById = new Map(rows.map((row) => [row.id, row]));
    for (const message of okAcks) {
      expect(rowsById.get(message.id)).toMatchObject({
        seq: message.seq,
        content: message.content,
      });
    }
    expect(rows.filter((row) => row.client_id === 'down-1')).toHaveLength(1);
    expect(rows.map((row) => row.seq)).toEqual(range(1, rows.length));
    expect(await statusOf('/readyz')).toBe(200);
    const storedContents = new Set(rows.map((row) => row.content));
    const refusedButStored = cutAnswers.filter(
      ({ ack }, index) =>
        ack !== 'no answer' && !ack.ok && storedContents.has(`in flight ${index + 1}`),
    ).length;
    console.log(`measured: ${refusedButStored} of the in-flight sends were refused yet stored`);
  }, 90_000);

  test('when it stops answering without closing connections, then sends are still acked unavailable within 3 s, and recover after', async () => {
    // Arrange: a proxy that holds every byte, as a database host that went silent.
    const databaseUrl = new URL(process.env.TEST_DATABASE_URL!);
    const silent = await startStallProxy(Number(databaseUrl.port || 5432), databaseUrl.hostname);
    proxy = silent;
    databaseUrl.port = String(silent.port);
    const node = await startNode({ DATABASE_URL: databaseUrl.toString() });
    const owner = await signUpMember(web, 'silent');
    const room = await createRoom(owner.rest);
    const client = await join(node, room.name, owner);
    acked(await client.send('before the silence', 'before'));

    // Act
    silent.stall();
    const whileSilent = await Promise.all(
      range(1, 3).map(async (n) => {
        const sentAt = performance.now();
        const ack = await sendWithin(client, `while silent ${n}`, `silent-${n}`, 10_000);
        return { ack, ms: performance.now() - sentAt };
      }),
    );
    silent.resume();
    const { ack: retried, ms: recoveryMs } = await retryUntilOk(client, 'after', 'after');

    // Assert
    console.log(
      `measured: acks while PostgreSQL was silent: ` +
        whileSilent
          .map(
            ({ ack, ms }) =>
              `${ack === 'no answer' ? ack : ack.ok || ack.error.code} after ${round(ms)} ms`,
          )
          .join('; ') +
        `; sends succeed again ${round(recoveryMs)} ms after it answers`,
    );
    expect(
      whileSilent.map(({ ack }) => (ack === 'no answer' || ack.ok ? ack : ack.error.code)),
    ).toEqual(['unavailable', 'unavailable', 'unavailable']);
    for (const { ms } of whileSilent) expect(ms).toBeLessThan(3_000);
    expect(retried).toMatchObject({ ok: true });
    expect(client.socket.connected).toBe(true);
    const rows = await storedMessages(web, room.id);
    expect(rows.map((row) => row.seq)).toEqual(range(1, rows.length));
    if (retried !== 'no answer' && retried.ok) {
      expect(rows.find((row) => row.id === retried.message.id)?.content).toBe('after');
    }
  }, 90_000);

  test('when it drops every connection and new ones hang until it is back, then the node stores and delivers live again on its own', async () => {
    // Arrange: a proxy that can drop connections and then take new ones without ever answering
    // them, as a pooler whose server went away.
    const databaseUrl = new URL(process.env.TEST_DATABASE_URL!);
    const database = await startStallProxy(Number(databaseUrl.port || 5432), databaseUrl.hostname);
    proxy = database;
    databaseUrl.port = String(database.port);
    const node = await startNode({ DATABASE_URL: databaseUrl.toString() });
    const [alice, bob] = await Promise.all([
      signUpMember(web, 'hang-a'),
      signUpMember(web, 'hang-b'),
    ]);
    const room = await createRoom(alice.rest);
    const sender = await join(node, room.name, alice);
    const reader = await join(node, room.name, bob);
    acked(await sender.send('before', 'before'));

    // Act: the connections drop and the node's new ones hang: its listener's, and its writer's
    // for the second send (the first meets the dropped connection).
    database.hang();
    const whileDown = [
      await sendWithin(sender, 'while down 1', 'down-1', 10_000),
      await sendWithin(sender, 'while down 2', 'down-2', 10_000),
    ];
    await waitUntil(
      () => database.hungConnections >= 2,
      'the node reconnects while the database hangs',
      10_000,
    );
    database.resume();
    const { ack: retried, ms: recoveryMs } = await retryUntilOk(sender, 'after', 'after');
    const posted = await postMessage(alice.rest, room.name, 'posted over REST after');
    await waitUntil(
      () => reader.live.some((message) => message.id === posted.id),
      'the REST post reaches the member live',
      15_000,
    );

    // Assert
    console.log(`measured: sends succeed again ${round(recoveryMs)} ms after the database is back`);
    expect(whileDown.map((ack) => ack !== 'no answer' && !ack.ok && ack.error.code)).toEqual([
      'unavailable',
      'unavailable',
    ]);
    expect(retried).toMatchObject({ ok: true, message: { content: 'after' } });
    const seen = reader.live.map((message) => message.content);
    expect(seen).toEqual(expect.arrayContaining(['before', 'after', 'posted over REST after']));
    const seqs = reader.live.map((message) => message.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  }, 90_000);
});

describe('when the node loses its committed-events listener for a moment', () => {
  test("then a sign-out and a room deletion made meanwhile still reach it: the token's sockets end, the room's members are told and disconnected", async () => {
    // Arrange: the node reaches the database through a proxy, the website service directly.
    const databaseUrl = new URL(process.env.TEST_DATABASE_URL!);
    proxy = await startTcpProxy(Number(databaseUrl.port || 5432), databaseUrl.hostname);
    databaseUrl.port = String(proxy.port);
    const node = await startNode({ DATABASE_URL: databaseUrl.toString() });
    const leaving = await signUpMember(web, 'leaving');
    const owner = await signUpMember(web, 'owner');
    const kept = await createRoom(owner.rest);
    const doomed = await createRoom(owner.rest);
    const signedOut = await join(node, kept.name, leaving);
    const staying = await join(node, kept.name, owner);
    const member = await join(node, doomed.name, owner);

    // Act: the node's database connections drop, its events with them; meanwhile a user signs
    // out and the owner deletes a room; then the node reaches the database again.
    await proxy.cut();
    const logout = await leaving.rest.post('/api/auth/logout', {});
    const deletion = await owner.rest.delete(`/api/rooms/${encodeURIComponent(doomed.name)}`);
    await proxy.restore();

    // Assert
    expect([logout.status, deletion.status]).toEqual([204, 204]);
    await waitUntil(() => !signedOut.socket.connected, 'the signed-out socket ends', 10_000);
    await waitUntil(() => !member.socket.connected, 'the deleted room disconnects', 10_000);
    expect(member.deletions).toEqual([doomed.name]);
    expect(staying.socket.connected).toBe(true);
    acked(await staying.send('still here', 'after-the-gap'));
  }, 60_000);
});

describe('when the node is stopped as on SIGTERM', () => {
  test('then it drains: every ok ack has its row, every committed message is acked, no send is left unanswered on a live socket, and close takes under 10 s', async () => {
    // Arrange
    const node = await startNode({}, SLOW_COMMITS);
    const owner = await signUpMember(web, 'drain');
    const room = await createRoom(owner.rest);
    const client = await join(node, room.name, owner);
    const answers = new Map<number, MessageAck>();

    // Act: 50 sends without waiting, then close as soon as the node is busy with them.
    for (const n of range(1, 50)) {
      client.socket.emit('message', { content: `drain ${n}`, clientId: `drain-${n}` }, (ack) =>
        answers.set(n, ack),
      );
    }
    await waitUntil(
      () => answers.size > 0 || client.live.length > 0,
      'the node answers a first send',
      5_000,
      1,
    );
    const closing = performance.now();
    await node.close();
    const closeMs = performance.now() - closing;
    nodes = nodes.filter((candidate) => candidate !== node);
    await waitUntil(
      () => answers.size === 50 || !client.socket.connected,
      'every send is answered or the socket is gone',
    );

    // Assert
    const okIds = [...answers.values()].flatMap((ack) => (ack.ok ? [ack.message.id] : []));
    const refused = [...answers.values()].filter((ack) => !ack.ok).length;
    const unanswered = 50 - answers.size;
    console.log(
      `measured: close took ${round(closeMs)} ms; of 50 sends ${okIds.length} acked ok, ` +
        `${refused} refused, ${unanswered} unanswered (socket ${client.socket.connected ? 'open' : 'closed'})`,
    );
    expect(closeMs).toBeLessThan(10_000);
    expect(unanswered === 0 || !client.socket.connected).toBe(true);
    const rows = await storedMessages(web, room.id);
    const byNumber = (a: number, b: number) => a - b;
    expect(rows.map((row) => row.id).sort(byNumber)).toEqual(okIds.sort(byNumber));
    expect(rows.map((row) => row.seq)).toEqual(range(1, rows.length));
  }, 30_000);
});
