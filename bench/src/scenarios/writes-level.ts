// One offered rate (a level) of T8 on a server with every member connected, open loop.
// Every level checks that each acked message is stored exactly once and that every member
// received every stored message of its room once; any mismatch throws.
import { createHistogram } from 'node:perf_hooks';
import { SERVER_CORE } from '../lib/proc';
import { formatSummary } from '../lib/stats';
import type { RawMember } from '../load/sio-client';
import {
  coreTimes,
  snapshot,
  summarizeLevel,
  windowResult,
  type LevelResult,
  type Snapshot,
} from './writes-level-result';
import {
  startWriteServer,
  type Kind,
  type Shape,
  type WriteServer,
  type WritesOptions,
} from './writes-servers';
import { delay, verifyLevel, waitFor } from './writes-verify';

/** Share of the server core other jobs may take before a level counts as disturbed. */
const FOREIGN_LIMIT = 0.15;
const CONTENT = 'a write-heavy benchmark message, about one line of ordinary chat';

export interface Plan {
  warmupMs: number;
  windowMs: number;
  repetitions: number;
  maxSteps: number;
  /** After the search, one more level between the last passing and the first failing rate. */
  isRefined: boolean;
  /**
   * Other jobs on the machine: each level waits (a bounded time) until they leave the server
   * core, and is measured again this many times when they came back meanwhile.
   */
  retriesWhenDisturbed: number;
}

/** One call of runWriteBench: its options, its plan, and what its levels verified. */
export interface Context {
  options: WritesOptions;
  plan: Plan;
  verified: { levels: number; acked: number; failedAcks: number };
}

/** A server with every member connected; levels run one after the other on it. */
export interface Session {
  context: Context;
  server: WriteServer;
  shape: Shape;
  /** members[room][index] */
  members: RawMember[][];
}

export async function withSession<T>(
  context: Context,
  kind: Kind,
  shape: Shape,
  env: Record<string, string> | undefined,
  run: (session: Session) => Promise<T>,
): Promise<T> {
  const server = await startWriteServer(kind, shape, context.options, env);
  const members: RawMember[][] = Array.from({ length: shape.rooms }, () => []);
  try {
    // In batches: a thousand handshakes at once would only queue in the server.
    for (let room = 0; room < shape.rooms; room += 10) {
      const batch = [];
      for (let r = room; r < Math.min(shape.rooms, room + 10); r++) {
        for (let index = 0; index < shape.sendersPerRoom; index++) {
          batch.push(server.connect(r, index).then((member) => members[r]!.push(member)));
        }
      }
      await Promise.all(batch);
    }
    return await run({ context, server, shape, members });
  } finally {
    for (const member of members.flat()) member.close();
    await server.stop();
  }
}

let levelCount = 0;

/** One level, measured again (a bounded number of times) while other jobs disturb it. */
export async function runLevel(session: Session, rate: number): Promise<LevelResult> {
  const { options, plan } = session.context;
  for (let attempt = 0; ; attempt++) {
    if (plan.retriesWhenDisturbed > 0) await awaitQuietServerCore(options);
    const level = await offerLevel(session, rate);
    logLevel(session, level);
    if (level.foreignCores[0] <= FOREIGN_LIMIT || attempt >= plan.retriesWhenDisturbed) {
      return level;
    }
    options.log('  disturbed by other jobs on the server core: measuring again');
  }
}

/** Our servers are idle between levels: what keeps the server core busy now is someone else's. */
async function awaitQuietServerCore(options: WritesOptions): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (let isLogged = false; ; isLogged = true) {
    const before = coreTimes(SERVER_CORE);
    await delay(500);
    const after = coreTimes(SERVER_CORE);
    const busy = (after.busy - before.busy) / (after.total - before.total || 1);
    if (busy <= FOREIGN_LIMIT || performance.now() > deadline) return;
    if (!isLogged)
      options.log(`  other jobs keep the server core ${busy.toFixed(2)} busy: waiting`);
  }
}

/** Offers `rate` msgs/s open loop for the warm-up and the measured windows, then verifies. */
async function offerLevel(session: Session, rate: number): Promise<LevelResult> {
  const { server, shape, members, context } = session;
  const { plan, verified } = context;
  const tag = `${server.kind}${++levelCount}`;
  const [before] = await server.db('messages').max<{ max: number | null }[]>('id');
  const maxIdBefore = before?.max ?? 0;
  const framesBefore = members.map((room) => room.map((member) => member.frames));
  const total = Math.round((rate * (plan.warmupMs + plan.repetitions * plan.windowMs)) / 1000);
  const status = new Uint8Array(total); // 0 pending, 1 acked ok, 2 failed
  const histograms = Array.from({ length: plan.repetitions }, () => createHistogram());
  const persistedIn = new Array<number>(plan.repetitions).fill(0);
  let settled = 0;
  const startedAt = performance.now() + 5;
  const measuredAt = startedAt + plan.warmupMs;
  const windowOf = (at: number) => Math.floor((at - measuredAt) / plan.windowMs);

  const onAck = (k: number, intended: number, payload: string) => {
    const now = performance.now();
    const isOk = payload.startsWith('[{"ok":true');
    status[k] = isOk ? 1 : 2;
    settled++;
    const sentIn = windowOf(intended);
    if (sentIn >= 0 && sentIn < plan.repetitions) {
      histograms[sentIn]!.record(Math.max(1, Math.round((now - intended) * 1000)));
    }
    const ackedIn = windowOf(now);
    if (isOk && ackedIn >= 0 && ackedIn < plan.repetitions) persistedIn[ackedIn]!++;
  };
  let next = 0;
  const sendDue = () => {
    const now = performance.now();
    while (next < total) {
      const k = next;
      const intended = startedAt + (k * 1000) / rate;
      if (intended > now) break;
      // Consecutive messages go to different rooms, and each room's senders take turns.
      const room = members[k % shape.rooms]!;
      room[Math.floor(k / shape.rooms) % room.length]!.send(CONTENT, `${tag}-${k}`, (payload) =>
        onAck(k, intended, payload),
      );
      next++;
    }
  };
  const ticker = setInterval(sendDue, 1);
  const snapshots: Snapshot[] = [];
  try {
    for (let w = 0; w <= plan.repetitions; w++) {
      await delay(measuredAt + w * plan.windowMs - performance.now());
      snapshots.push(snapshot(server.chatPid, context.options.postgres.pid));
    }
  } finally {
    clearInterval(ticker);
  }
  sendDue();
  await waitFor(
    () => settled === total,
    120_000,
    () => `${total - settled} acks missing`,
  );
  const failedAcks = status.reduce((sum, value) => sum + (value === 2 ? 1 : 0), 0);
  await verifyLevel(session, tag, status, maxIdBefore, framesBefore, failedAcks > 0);
  verified.levels++;
  verified.acked += total - failedAcks;
  verified.failedAcks += failedAcks;
  const windows = histograms.map((histogram, w) =>
    windowResult(histogram, persistedIn[w]!, plan.windowMs, snapshots[w]!, snapshots[w + 1]!),
  );
  return summarizeLevel(rate, windows, total - failedAcks, failedAcks);
}

function logLevel({ server, shape, context }: Session, level: LevelResult): void {
  context.options.log(
    `T8 ${server.kind} ${shape.name} offered ${level.offered}/s: persisted ` +
      `${formatSummary(level.persisted, 0)}/s, ack p50 ${formatSummary(level.p50Ms)} ms, ` +
      `p99 ${formatSummary(level.p99Ms)} ms, server ${formatSummary(level.serverCpuPerMessage)} ` +
      `CPU-µs/msg, load core ${formatSummary(level.loadCores, 2)}, foreign load ` +
      level.foreignCores.map((share) => share.toFixed(2)).join('/') +
      (level.failedAcks > 0 ? `, ${level.failedAcks} refused` : '') +
      (level.isSaturated ? ' (saturated)' : ''),
  );
}
