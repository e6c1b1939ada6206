// T1–T6 and T12: every server through the same fan-out load, at fixed offered loads and then in
// steps up to saturation; the rows compare A (and A2) with S and W measured in this same run.
import { createClient } from 'redis';
import { formatSummary, ratio, summarize, type Summary } from '../lib/stats';
import type { LatencyPoint } from '../report/chart';
import { connectLoad } from './fanout';
import { startFanoutServer, type FanoutWorld, type ServerKind } from './fanout-servers';
import { summarizeLevel, type LevelResult, type LoadPlan } from './fanout-windows';
import type { Row } from './rows';

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

// ---- rows -------------------------------------------------------------------------------------

const find = (runs: FanoutRun[], kind: ServerKind, fanout: number, receivers?: number) =>
  runs.find(
    (run) =>
      run.kind === kind &&
      run.fanout === fanout &&
      (receivers === undefined || run.receivers === receivers),
  );

const atLoad = (run: FanoutRun | undefined, offered: number) =>
  run?.levels.find((level) => level.offered === offered);

/** Deliveries per server-core-second at the highest load that was not saturated. */
function saturation(run: FanoutRun | undefined): Summary | undefined {
  const best = run?.levels.filter((level) => !level.isSaturated).at(-1);
  if (!best) return undefined;
  return summarize(best.windows.map((window) => window.delivered / window.serverCores));
}

function compare(
  id: string,
  scenario: string,
  target: string,
  limit: number,
  a: Summary | undefined,
  b: Summary | undefined,
  unit: string,
  names: [string, string],
  isAtLeast = false,
): Row {
  if (!a || !b) return { id, scenario, measured: 'not measured', target, detail: {} };
  const r = ratio(a, b);
  return {
    id,
    scenario,
    measured: `${names[0]} ${formatSummary(a, 2)} ${unit}, ${names[1]} ${formatSummary(b, 2)} ${unit}`,
    target,
    ratio: r,
    pass: isAtLeast ? r.median >= limit : r.median <= limit,
    detail: { a, b },
  };
}

function fanoutRows(runs: FanoutRun[], plan: FanoutPlan): Row[] {
  const rows: Row[] = runs.map((run) => ({
    id: `check-${run.kind}-F${run.fanout}-R${run.receivers}`,
    scenario: `exactly once: every stored message reached every member once (${run.kind}, F=${run.fanout})`,
    measured:
      run.wrong ?? `${run.verified!.messages} messages, ${run.verified!.deliveries} deliveries`,
    target: 'no loss, no duplicate',
    pass: run.wrong === undefined,
    detail: {},
  }));
  const R = plan.receivers;
  const ref = plan.referenceLoad;
  const load = `${ref / 1000}k deliveries/s`;
  for (const F of plan.fanouts) {
    const [A, S, W] = (['A', 'S', 'W'] as const).map((kind) => atLoad(find(runs, kind, F, R), ref));
    const small = F < 100;
    rows.push(
      compare(
        `T1-F${F}`,
        `chat CPU-µs per delivery, F=${F}, ${load}`,
        `A/S ≤ ${small ? 1.35 : 1.15}`,
        small ? 1.35 : 1.15,
        A?.chatCpuPerDelivery,
        S?.chatCpuPerDelivery,
        'µs',
        ['A', 'S'],
      ),
      compare(
        `T2-F${F}`,
        `server-side CPU-µs per delivery (chat+PostgreSQL+Redis), F=${F}`,
        `A/S ≤ ${small ? 2.0 : 1.5}`,
        small ? 2.0 : 1.5,
        A?.serverCpuPerDelivery,
        S?.serverCpuPerDelivery,
        'µs',
        ['A', 'S'],
      ),
      compare(
        `T3-F${F}`,
        `chat CPU-µs per delivery against the transport, F=${F}`,
        `A/W ≤ ${small ? 2.5 : 1.6}`,
        small ? 2.5 : 1.6,
        A?.chatCpuPerDelivery,
        W?.chatCpuPerDelivery,
        'µs',
        ['A', 'W'],
      ),
    );
    if (F <= 100) {
      const row = compare(
        `T4-F${F}`,
        `p99 latency, first member, F=${F}, ${load}`,
        'A/S ≤ 1.5 and A ≤ 10 ms',
        1.5,
        A?.firstP99Ms,
        S?.firstP99Ms,
        'ms',
        ['A', 'S'],
      );
      if (row.pass !== undefined) row.pass = row.pass && A!.firstP99Ms.median <= 10;
      rows.push(row);
    }
    rows.push(
      compare(
        `T6-F${F}`,
        `deliveries per server-core-second at saturation, F=${F}`,
        'A/S ≥ 0.8',
        0.8,
        saturation(find(runs, 'A', F, R)),
        saturation(find(runs, 'S', F, R)),
        '/s',
        ['A', 'S'],
        true,
      ),
    );
    if (plan.twoNodeFanouts.includes(F)) {
      rows.push(
        compare(
          `T12-F${F}`,
          `two nodes + Redis: chat CPU-µs per delivery (both nodes), F=${F}`,
          'A2/A ≤ 1.3',
          1.3,
          atLoad(find(runs, 'A2', F, R), ref)?.chatCpuPerDelivery,
          A?.chatCpuPerDelivery,
          'µs',
          ['A2', 'A'],
        ),
      );
    }
  }
  const largest = Math.max(...plan.fanouts);
  const [lastA, lastW] = (['A', 'W'] as const).map((kind) =>
    atLoad(find(runs, kind, largest, R), ref),
  );
  rows.push(
    compare(
      'T5',
      `p99 latency, last member of a ${largest}-member room, ${load}`,
      'A/W ≤ 1.25',
      1.25,
      lastA?.lastP99Ms,
      lastW?.lastP99Ms,
      'ms',
      ['A', 'W'],
    ),
  );
  const settle = runs.filter((run) => run.redisSettleMs !== undefined);
  if (settle.length > 0) {
    const worst = Math.max(...settle.map((run) => run.redisSettleMs!));
    rows.push({
      id: 'T12-redis',
      scenario: 'Redis subscriptions back to baseline after rooms empty',
      measured: `${settle.map((run) => `F=${run.fanout} ${run.redisSettleMs!.toFixed(0)} ms`).join(', ')}`,
      target: '≤ 1000 ms',
      pass: worst <= 1000,
      detail: { worst },
    });
  }
  if (plan.largeReceivers) {
    const [A, S, W] = (['A', 'S', 'W'] as const).map((kind) =>
      atLoad(find(runs, kind, largest, plan.largeReceivers), ref),
    );
    rows.push(
      compare(
        `T1-R${plan.largeReceivers}`,
        `chat CPU-µs per delivery, ${plan.largeReceivers} receivers, F=${largest}`,
        'A/S ≤ 1.15',
        1.15,
        A?.chatCpuPerDelivery,
        S?.chatCpuPerDelivery,
        'µs',
        ['A', 'S'],
      ),
      compare(
        `T5-R${plan.largeReceivers}`,
        `p99 latency, last member, ${plan.largeReceivers} receivers, F=${largest}`,
        'A/W ≤ 1.25',
        1.25,
        A?.lastP99Ms,
        W?.lastP99Ms,
        'ms',
        ['A', 'W'],
      ),
    );
  }
  return rows;
}

function chartPoints(runs: FanoutRun[], receivers: number): LatencyPoint[] {
  return runs
    .filter((run) => run.receivers === receivers)
    .flatMap((run) =>
      run.levels.map((level) => ({
        server: run.kind,
        fanout: run.fanout,
        offered: level.offered,
        p50Ms: level.firstP50Ms.median,
        p99Ms: level.firstP99Ms.median,
      })),
    );
}
