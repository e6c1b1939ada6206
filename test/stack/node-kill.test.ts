import pg from 'pg';
import { api, createRoom, signUp } from '../../server-web/test/rest-client';
import { startStack, type StackChatNode, type TestStack } from '../support/stack';
import { connectOutboxClient, type OutboxClient } from './outbox-client';
import { connectedSockets, range, stickyKeysByNode } from './through-nginx';

// Through nginx (stack.url): 20 clients, ten per chat node, in one room; one node dies by
// SIGKILL once about 30 % of 2,000 messages are acknowledged.
const CLIENTS = 20;
const MESSAGES = 2_000;
/** 8 sends per second per user, resends included: under the 10/s limit, so none is refused. */
const SEND_INTERVAL_MS = 125;
/** From here the doomed node is frozen at moments after each round of sends, then killed. */
const KILL_FROM_ACKED = MESSAGES * 0.25;
/** From the kill until every client is back and every outbox empty. */
const RECOVERY_DEADLINE_MS = 60_000;

let stack: TestStack;
let clients: OutboxClient[] = [];

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  // Reconnecting clients would outlive the test otherwise.
  clients.forEach((client) => client.close());
  await stack?.stop();
});

/** Polls `probe` every 50 ms; fails with `describe()` once `timeoutMs` has passed. */
async function until(probe: () => boolean, timeoutMs: number, describe: () => string) {
  const deadline = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
/** How many entries of `values` repeat an earlier one. */
const repeats = (values: unknown[]) => values.length - new Set(values).size;

async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<T[]> {
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    return (await db.query<T>(sql, values)).rows;
  } finally {
    await db.end();
  }
}

interface StoredRow {
  id: number;
  seq: number;
  client_id: string;
  user_id: number;
}

async function storedMessages(roomId: number): Promise<StoredRow[]> {
  const rows = await query<StoredRow>(
    'SELECT id, seq, client_id, user_id FROM messages WHERE room_id = $1 ORDER BY seq',
    [roomId],
  );
  return rows.map((row) => ({ ...row, id: Number(row.id), seq: Number(row.seq) }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds after a round of sends to freeze the doomed node: its commits fall in here. */
const FREEZE_OFFSETS_MS = range(4, 20);

/**
 * Freezes `node` (SIGSTOP) a little later after each round of sends until it holds a message of
 * `senders` committed whose ack was never written (acks written before the freeze arrive within
 * the pause), and leaves it frozen there: a kill now loses those acks for sure. After trying
 * every offset twice it leaves the node frozen anyway.
 */
async function freezeWithCommittedUnacked(
  node: StackChatNode,
  senders: OutboxClient[],
  roomId: number,
  nextRound: () => Promise<void>,
): Promise<{ inFlight: string[]; stored: string[] }> {
  const offsets = [...FREEZE_OFFSETS_MS, ...FREEZE_OFFSETS_MS];
  for (const [attempt, offset] of offsets.entries()) {
    await nextRound();
    await sleep(offset);
    process.kill(node.pid, 'SIGSTOP');
    await sleep(20);
    const inFlight = senders.flatMap((client) => client.inFlight());
    const rows = await query<{ client_id: string }>(
      'SELECT client_id FROM messages WHERE room_id = $1 AND client_id = ANY($2)',
      [roomId, inFlight],
    );
    if (rows.length > 0 || attempt === offsets.length - 1) {
      return { inFlight, stored: rows.map((row) => row.client_id) };
    }
    process.kill(node.pid, 'SIGCONT');
  }
  throw new Error('unreachable');
}

test('when a chat node is killed with -9 during 2,000 messages from 20 clients, then every client reconnects and every acked message is stored and seen exactly once', async () => {
  // Arrange: 20 members in one room, ten routed to each chat node by their sticky keys.
  const keys = await stickyKeysByNode(stack, CLIENTS / 2);
  const members = await Promise.all(range(1, CLIENTS).map(() => signUp(stack, 'kill')));
  const room = await createRoom(api(stack, members[0]!.cookie));
  const [victim, survivor] = stack.chatNodes as [StackChatNode, StackChatNode];
  const placement = members.map((_, index) => (index % 2 === 0 ? victim : survivor).id);
  clients = await Promise.all(
    members.map((member, index) =>
      connectOutboxClient({
        url: stack.url,
        room: room.name,
        token: member.token,
        username: member.user.username,
        sticky: keys[placement[index]!]![Math.floor(index / 2)]!,
      }),
    ),
  );
  const victims = clients.filter((_, index) => placement[index] === victim.id);
  const survivors = clients.filter((_, index) => placement[index] === survivor.id);
  expect(await Promise.all([victim, survivor].map(connectedSockets))).toEqual([10, 10]);
  for (const client of clients) {
    for (const n of range(1, MESSAGES / CLIENTS)) client.enqueue(`${client.username} #${n}`);
  }
  const ackedTotal = () => sum(clients.map((client) => client.acked.size));
  const progress = () =>
    `${ackedTotal()} acked, ${clients.filter((c) => c.socket.connected).length} connected, ` +
    `outboxes ${clients.map((c) => c.outboxSize()).join(',')}`;

  // Act: everyone sends at a steady pace. From 25 % acked on, chat-1 dies without any cleanup, at
  // a moment when its clients have messages on their way, some of them already committed: a
  // resend of those could duplicate, one of the others could be lost.
  const startedAt = performance.now();
  const roundWaiters: (() => void)[] = [];
  const nextRound = () => new Promise<void>((resolve) => roundWaiters.push(resolve));
  const pacer = setInterval(() => {
    clients.forEach((client) => client.sendNext());
    roundWaiters.splice(0).forEach((resolve) => resolve());
  }, SEND_INTERVAL_MS);
  let killedAt: number;
  let ackedAtKill: number;
  let recoveredAt: number;
  let unacked: { inFlight: string[]; stored: string[] };
  try {
    await until(() => ackedTotal() >= KILL_FROM_ACKED, 30_000, progress);
    unacked = await freezeWithCommittedUnacked(victim, victims, room.id, nextRound);
    ackedAtKill = ackedTotal();
    killedAt = performance.now();
    await victim.kill('SIGKILL');
    await until(
      () => clients.every((client) => client.socket.connected && client.outboxSize() === 0),
      RECOVERY_DEADLINE_MS,
      progress,
    );
    recoveredAt = performance.now();
  } finally {
    clearInterval(pacer);
  }
  await until(
    () => clients.every((client) => client.view.size >= MESSAGES),
    10_000,
    () => `views ${clients.map((client) => client.view.size).join(',')}`,
  );

  // Assert: the database holds every message once, seq 1…2000, each acked one as acked.
  const stored = await storedMessages(room.id);
  expect(clients.flatMap((client) => client.refusals)).toEqual([]);
  expect(stored.map((row) => row.seq)).toEqual(range(1, MESSAGES));
  const byClientId = new Map(stored.map((row) => [row.client_id, row]));
  const acked = clients.flatMap((client) => [...client.acked.values()]);
  expect(acked).toHaveLength(MESSAGES);
  const lostAcked = acked.filter((message) => {
    const row = byClientId.get(message.clientId!);
    return !row || row.id !== message.id || row.seq !== message.seq;
  }).length;
  const duplicatedInDb = repeats(stored.map((row) => `${row.user_id}/${row.client_id}`));

  // Every client saw every stored message, once, under its seq.
  const lostInViews = sum(
    clients.map((client) => stored.filter((row) => client.view.get(row.seq)?.id !== row.id).length),
  );
  const duplicatedInViews = sum(
    clients.map((client) => repeats([...client.view.values()].map((message) => message.clientId))),
  );
  expect(clients.flatMap((client) => client.conflicts)).toEqual([]);

  // chat-1's clients reconnected once each, to chat-2; chat-2's clients never noticed.
  expect(victims.map((client) => client.outages.length)).toEqual(victims.map(() => 1));
  expect(survivors.map((client) => client.outages.length)).toEqual(survivors.map(() => 0));
  expect(await connectedSockets(survivor)).toBe(CLIENTS);

  const lost = lostAcked + lostInViews;
  const duplicated = duplicatedInDb + duplicatedInViews;
  const resent = new Set(clients.flatMap((client) => [...client.resent]));
  const reconnectMs = victims.map(({ outages: [outage] }) => outage!.backAt! - outage!.lostAt);
  console.log(
    [
      `measured: kill -9 of ${victim.id} at ${ackedAtKill} of ${MESSAGES} acked ` +
        `(${Math.round((100 * ackedAtKill) / MESSAGES)} %)`,
      `reconnect of its ${victims.length} clients p95 ${percentile(reconnectMs, 95).toFixed(0)} ` +
        `ms, max ${Math.max(...reconnectMs).toFixed(0)} ms`,
      `lost ${lost}, duplicated ${duplicated}`,
      `${unacked.inFlight.length} unacked at the kill, ${unacked.stored.length} of them already ` +
        `stored (${unacked.stored.filter((id) => resent.has(id)).length} of these resent and ` +
        `answered with the stored message)`,
      `${resent.size} resent in all, ${sum(clients.map((c) => c.redeliveries))} redelivered`,
      `every outbox empty ${((recoveredAt - killedAt) / 1000).toFixed(1)} s after the kill, ` +
        `${((recoveredAt - startedAt) / 1000).toFixed(1)} s after the first send`,
    ].join('; '),
  );
  expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
}, 120_000);
