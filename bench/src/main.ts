// `npm run bench [-- --quick] [--only fanout,idle,writes,web,storm,variations]`: every scenario
// of issue 6 in one run on this machine; server side on core 0, load on core 1. Prints the table,
// writes bench/results/<timestamp>.json and the latency chart next to it.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startPostgres, startRedis, ROOT } from './lib/infra';
import { pinSelf } from './lib/proc';
import { writeChart } from './report/chart';
import { table } from './report/table';
import { runFanoutBench, type FanoutPlan } from './scenarios/fanout-bench';
import { runIdleBench } from './scenarios/idle';
import type { Row } from './scenarios/rows';
import { runLoginStormBench } from './scenarios/storm';
import { runVariations } from './scenarios/variations';
import { runLoginBench, runQueryBench } from './scenarios/web';
import { runWriteBench } from './scenarios/writes';

const SCENARIOS = ['fanout', 'idle', 'writes', 'web', 'storm', 'variations'] as const;

const FULL: FanoutPlan = {
  warmupMs: 1_000,
  windowMs: 3_000,
  repetitions: 3,
  receivers: 1_000,
  fanouts: [10, 100, 1_000],
  kinds: ['W', 'S', 'A', 'A2'],
  fixedLoads: [10_000, 20_000, 40_000],
  maxSteps: 4,
  twoNodeFanouts: [10, 100, 1_000],
  largeReceivers: 5_000,
  referenceLoad: 40_000,
};

// A smoke test of the harness: every code path, small and short; its figures mean little.
const QUICK: FanoutPlan = {
  warmupMs: 300,
  windowMs: 500,
  repetitions: 1,
  receivers: 200,
  fanouts: [100],
  kinds: ['W', 'S', 'A', 'A2'],
  fixedLoads: [10_000],
  maxSteps: 0,
  twoNodeFanouts: [100],
  referenceLoad: 10_000,
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
  });
  const quick = values.quick;
  const only: string[] = values.only?.split(',') ?? [...SCENARIOS];
  const log = (line: string) => process.stderr.write(`${line}\n`);
  pinSelf();
  const startedAt = new Date();
  const postgres = await startPostgres();
  const redis = await startRedis();
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  // One scenario failing (a server that would not start) is reported; the others still run.
  const run = async (name: (typeof SCENARIOS)[number], scenario: () => Promise<Row[]>) => {
    if (!only.includes(name)) return;
    try {
      rows.push(...(await scenario()));
    } catch (error) {
      log(`${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
      rows.push({
        id: `check-${name}`,
        scenario: `the ${name} scenario ran to the end`,
        measured: error instanceof Error ? error.message.split('\n')[0]! : String(error),
        target: 'ran',
        pass: false,
        detail: {},
      });
    }
  };
  try {
    await run('fanout', async () => {
      const fanout = await runFanoutBench({ postgres, redis, log }, quick ? QUICK : FULL);
      results.fanout = fanout.runs;
      results.chart = fanout.points;
      return fanout.rows;
    });
    await run('idle', () => runIdleBench({ quick, postgres, log }));
    await run('writes', () => runWriteBench({ quick, postgres, log }));
    await run('web', async () => [
      ...(await runLoginBench({ quick, postgres, log })),
      ...(await runQueryBench({ quick, postgres, log })),
    ]);
    await run('storm', () => runLoginStormBench({ quick, postgres, redis, log }));
    await run('variations', () => runVariations({ quick, postgres, redis, log }));
  } finally {
    await redis.stop();
    await postgres.stop();
  }

  process.stdout.write(`${table(rows)}\n`);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const folder = path.join(ROOT, 'bench/results');
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, `${stamp}${quick ? '-quick' : ''}.json`);
  const machine = {
    cpus: os.cpus().map((cpu) => cpu.model)[0],
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    kernel: os.release(),
  };
  await writeFile(file, JSON.stringify({ startedAt, quick, machine, rows, results }, null, 1));
  if (results.chart) {
    await writeChart(
      file.replace(/\.json$/, '.svg'),
      results.chart as Parameters<typeof writeChart>[1],
      'p99 latency (first member) against offered load: A Parley, A2 two nodes, S Socket.IO relay, W ws relay',
    );
  }
  process.stdout.write(`results: ${path.relative(ROOT, file)}\n`);
  // A fast wrong answer fails the run: every figure is printed, and the exit code says so.
  const wrong = rows.filter((row) => row.id.startsWith('check-') && row.pass === false);
  if (wrong.length > 0) {
    process.stderr.write(`correctness failed: ${wrong.map((row) => row.id).join(', ')}\n`);
    process.exitCode = 1;
  }
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
