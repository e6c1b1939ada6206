// The knobs around A, each measured at one load with everything else as in the fan-out rows:
// the group-commit flush window, bufferutil, nginx in the path, and the Redis adapter mode.
import type { Postgres, Redis } from '../lib/infra';
import { formatSummary } from '../lib/stats';
import { connectLoad } from './fanout';
import { startFanoutServer, type ServerKind, type ServerSetup } from './fanout-servers';
import { summarizeLevel, type LevelResult, type LoadPlan } from './fanout-windows';
import type { Row } from './rows';

export interface VariationOptions {
  quick: boolean;
  postgres: Postgres;
  redis: Redis;
  log(line: string): void;
}

interface Variation {
  id: string;
  scenario: string;
  kind: ServerKind;
  setup: Omit<ServerSetup, 'receivers'>;
}

const OFFERED = 40_000;

function variations(quick: boolean): Variation[] {
  const flush = (ms: number): Variation => ({
    id: `V-flush-${ms}ms`,
    scenario: `A, F=10: group-commit flush window ${ms} ms`,
    kind: 'A',
    setup: { fanout: 10, env: { CHAT_FLUSH_WINDOW_MS: String(ms) } },
  });
  const adapter = (mode: string): Variation => ({
    id: `V-adapter-${mode}`,
    scenario: `A2 (two nodes + Redis), F=100: adapter ${mode}`,
    kind: 'A2',
    setup: { fanout: 100, env: { CHAT_REDIS_ADAPTER: mode } },
  });
  if (quick) return [flush(5)];
  return [
    ...[0, 5, 10, 20].map(flush),
    {
      id: 'V-bufferutil-on',
      scenario: 'A, F=100: ws with bufferutil (default)',
      kind: 'A',
      setup: { fanout: 100 },
    },
    {
      id: 'V-bufferutil-off',
      scenario: 'A, F=100: ws without bufferutil (WS_NO_BUFFER_UTIL=1)',
      kind: 'A',
      setup: { fanout: 100, env: { WS_NO_BUFFER_UTIL: '1' } },
    },
    {
      id: 'V-nginx-out',
      scenario: 'A, F=100: clients straight to the node',
      kind: 'A',
      setup: { fanout: 100 },
    },
    {
      id: 'V-nginx-in',
      scenario: 'A, F=100: clients through nginx (server side includes nginx)',
      kind: 'A',
      setup: { fanout: 100, viaNginx: true },
    },
    ...['sharded', 'sharded-dynamic', 'classic'].map(adapter),
  ];
}

export async function runVariations(options: VariationOptions): Promise<Row[]> {
  const receivers = options.quick ? 200 : 1_000;
  const plan: LoadPlan = options.quick
    ? { warmupMs: 300, windowMs: 500, repetitions: 1 }
    : { warmupMs: 1_000, windowMs: 3_000, repetitions: 3 };
  const offered = options.quick ? 10_000 : OFFERED;
  const rows: Row[] = [];
  for (const variation of variations(options.quick)) {
    const setup = { ...variation.setup, receivers };
    const server = await startFanoutServer(variation.kind, options, setup);
    let level: LevelResult;
    try {
      const load = await connectLoad(server, receivers, setup.fanout);
      try {
        const pids = { chat: server.chatPids, other: server.otherPids };
        level = summarizeLevel(offered, await load.offer(offered, plan, pids));
        await load.verify();
      } finally {
        load.close();
      }
    } finally {
      await server.stop();
    }
    const measured =
      `chat ${formatSummary(level.chatCpuPerDelivery, 2)} µs, server ${formatSummary(level.serverCpuPerDelivery, 2)} µs per delivery; ` +
      `p99 ${formatSummary(level.firstP99Ms, 1)} ms, ack p99 ${formatSummary(level.ackP99Ms, 1)} ms`;
    options.log(`${variation.id}: ${measured}`);
    rows.push({
      id: variation.id,
      scenario: `${variation.scenario}, ${offered / 1000}k deliveries/s`,
      measured,
      target: '(reported)',
      detail: { level },
    });
  }
  return rows;
}
