// The rows of T1–T6 and T12 from the fan-out runs: each ratio is read at the reference load
// from servers measured in the same run; and the chart's latency points.
import { formatSummary, ratio, summarize, type Summary } from '../lib/stats';
import type { LatencyPoint } from '../report/chart';
import type { FanoutPlan, FanoutRun } from './fanout-bench';
import type { ServerKind } from './fanout-servers';
import type { Row } from './rows';

const find = (runs: FanoutRun[], kind: ServerKind, fanout: number, receivers?: number) =>
  runs.find(
    (run) =>
      run.kind === kind &&
      run.fanout === fanout &&
      (receivers === undefined || run.receivers === receivers),
  );

const atLoad = (run: FanoutRun | undefined, offered: number) =>
  run?.levels.find((level) => level.offered === offered);

/**
 * Deliveries per server-core-second at the highest load that was not saturated; when even the
 * first was (a loaded machine, e.g. the smoke run beside other tests), at that first one.
 */
function saturation(run: FanoutRun | undefined): Summary | undefined {
  const best = run?.levels.filter((level) => !level.isSaturated).at(-1) ?? run?.levels[0];
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

export function fanoutRows(runs: FanoutRun[], plan: FanoutPlan): Row[] {
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

export function chartPoints(runs: FanoutRun[], receivers: number): LatencyPoint[] {
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
