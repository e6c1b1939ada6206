// T1–T6 and T12: every server through the same fan-out load, at fixed offered loads and then in
// steps up to saturation; the rows compare A (and A2) with S and W measured in this same run.
import { createClient } from 'redis';
import { formatSummary } from '../lib/stats';
import { connectLoad } from './fanout';
import { startFanoutServer, type FanoutWorld, type ServerKind } from './fanout-servers';
import { summarizeLevel, type LevelResult, type LoadPlan } from './fanout-windows';
import { chartPoints, fanoutRows } from './fanout-rows';

export interface FanoutPlan extends LoadPlan {
  receivers: number;
  fanouts: number[];
  kinds: ServerKind[];
  /** Offered deliveries/s measured for every server. */
  fixedLoads: number[];
  /** Then ×1.5 steps from the last fixed load until saturation, at most this many. */
  maxSteps: number;
  /** Fan-outs at which two nodes (A2) run too. */
  twoNodeFanouts: number[];
  /** Once: this many receivers at the largest fan-out (A, S, W at the reference load). */
  largeReceivers?: number;
  /** The offered load every comparison is read at (one of fixedLoads). */
  referenceLoad: number;
}

export interface FanoutRun {
  kind: ServerKind;
  fanout: number;
  receivers: number;
  levels: LevelResult[];
  /** Messages and deliveries checked exactly-once at the end of the run. */
  verified?: { messages: number; deliveries: number; failedAcks: number };
  /** What the exactly-once check found wrong: the run's figures do not count then. */
  wrong?: string;
  /** A2: ms until Redis subscriptions were back to the baseline after every client left. */
  redisSettleMs?: number;
}

export async function runFanoutBench(world: FanoutWorld, plan: FanoutPlan) {
  const runs: FanoutRun[] = [];
  for (const fanout of plan.fanouts) {
    const kinds = plan.kinds.filter(
      (kind) => kind !== 'A2' || plan.twoNodeFanouts.includes(fanout),
    );
    for (const kind of kinds) {
      runs.push(await runOne(world, plan, kind, fanout, plan.receivers, true));
    }
  }
  if (plan.largeReceivers) {
    const fanout = Math.max(...plan.fanouts);
    for (const kind of ['A', 'S', 'W'] as const) {
      const single = { ...plan, fixedLoads: [plan.referenceLoad] };
      runs.push(await runOne(world, single, kind, fanout, plan.largeReceivers, false));
    }
  }
  return { runs, rows: fanoutRows(runs, plan), points: chartPoints(runs, plan.receivers) };
}

async function runOne(
  world: FanoutWorld,
  plan: FanoutPlan,
  kind: ServerKind,
  fanout: number,
  receivers: number,
  isStepping: boolean,
): Promise<FanoutRun> {
  const server = await startFanoutServer(kind, world, { receivers, fanout });
  // The nodes' own subscriptions (parent namespaces, requests) stay; the rooms' must go.
  const redisBaseline = kind === 'A2' ? await redisSubscriptions(world.redis.url) : 0;
  const pids = { chat: server.chatPids, other: server.otherPids };
  const levels: LevelResult[] = [];
  let verified: FanoutRun['verified'];
  let wrong: string | undefined;
  let redisSettleMs: number | undefined;
  try {
    const load = await connectLoad(server, receivers, fanout);
    try {
      const offer = async (offered: number) => {
        const level = summarizeLevel(offered, await load.offer(offered, plan, pids));
        levels.push(level);
        world.log(
          `${kind} F=${fanout} R=${receivers} offered ${offered}/s: delivered ${formatSummary(level.delivered, 0)}, ` +
            `chat ${formatSummary(level.chatCpuPerDelivery, 2)} µs/delivery, server ${formatSummary(level.serverCpuPerDelivery, 2)}, ` +
            `p99 first ${formatSummary(level.firstP99Ms, 1)} ms last ${formatSummary(level.lastP99Ms, 1)} ms, load ${formatSummary(level.loadCores, 2)} cores`,
        );
        return level;
      };
      let last: LevelResult | undefined;
      for (const offered of plan.fixedLoads) last = await offer(offered);
      for (let step = 0; isStepping && last && !last.isSaturated && step < plan.maxSteps; step++) {
        last = await offer(Math.round((last.offered * 1.5) / 1000) * 1000);
      }
      try {
        verified = await load.verify();
      } catch (error) {
        wrong = error instanceof Error ? error.message : String(error);
        world.log(`CHECK FAILED: ${wrong}`);
      }
    } finally {
      load.close();
    }
    if (kind === 'A2') redisSettleMs = await settleTime(world.redis.url, redisBaseline);
  } finally {
    await server.stop();
  }
  return { kind, fanout, receivers, levels, verified, wrong, redisSettleMs };
}

async function redisSubscriptions(url: string): Promise<number> {
  const client = createClient({ url });
  await client.connect();
  try {
    const [shard, classic, patterns] = await Promise.all([
      client.sendCommand<string[]>(['PUBSUB', 'SHARDCHANNELS']),
      client.sendCommand<string[]>(['PUBSUB', 'CHANNELS']),
      client.sendCommand<number>(['PUBSUB', 'NUMPAT']),
    ]);
    return shard.length + classic.length + patterns;
  } finally {
    await client.quit();
  }
}

/** Polls until the subscriptions are back at `baseline`; ms since the clients left. */
async function settleTime(url: string, baseline: number): Promise<number> {
  const startedAt = performance.now();
  while ((await redisSubscriptions(url)) > baseline) {
    if (performance.now() - startedAt > 10_000) return Infinity;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - startedAt;
}
