import { fanoutRows } from '../../bench/src/scenarios/fanout-rows';
import type { FanoutPlan, FanoutRun } from '../../bench/src/scenarios/fanout-bench';
import { summarizeLevel, type WindowResult } from '../../bench/src/scenarios/fanout-windows';

const plan: FanoutPlan = {
  warmupMs: 0,
  windowMs: 1,
  repetitions: 1,
  receivers: 100,
  fanouts: [100],
  kinds: ['A', 'S', 'W'],
  fixedLoads: [10_000],
  maxSteps: 0,
  twoNodeFanouts: [],
  referenceLoad: 10_000,
};

/** One window at 10k deliveries/s offered, with this p99 and this share of the server core. */
function window(p99Ms: number, serverCores: number, delivered = 10_000): WindowResult {
  return {
    offered: 10_000,
    delivered,
    chatCpuPerDelivery: (serverCores * 1e6) / delivered,
    serverCpuPerDelivery: (serverCores * 1e6) / delivered,
    serverCores,
    loadCores: 0.5,
    firstP50Us: 1_000,
    firstP99Us: p99Ms * 1000,
    lastP50Us: 1_000,
    lastP99Us: p99Ms * 1000,
    ackP99Us: p99Ms * 1000,
    loadLagP99Us: 1_000,
  };
}

const run = (kind: FanoutRun['kind'], windows: WindowResult[]): FanoutRun => ({
  kind,
  fanout: 100,
  receivers: 100,
  levels: [summarizeLevel(10_000, windows)],
  verified: { messages: 1, deliveries: 100, failedAcks: 0 },
});

describe('T6, deliveries per server-core-second at saturation', () => {
  test('when even the first load saturated a server (a loaded machine), then T6 is read there rather than left unmeasured', () => {
    const runs = [
      run('A', [window(400, 0.5)]), // p99 over 250 ms: saturated at its only level
      run('S', [window(20, 0.25)]),
      run('W', [window(10, 0.2)]),
    ];

    const t6 = fanoutRows(runs, plan).find((row) => row.id === 'T6-F100')!;

    expect(runs[0]!.levels[0]!.isSaturated).toBe(true);
    expect(t6.measured).not.toBe('not measured');
    expect(t6.ratio?.median).toBeCloseTo(20_000 / 40_000);
  });
});
