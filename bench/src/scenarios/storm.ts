// T11: chat latency while the website service verifies passwords as fast as it can. Both services
// and PostgreSQL share the server core, as they would on one small machine.
import { spawn } from 'node:child_process';
import type { Postgres, Redis } from '../lib/infra';
import { SERVER_CORE } from '../lib/proc';
import { formatSummary, ratio } from '../lib/stats';
import { startLoginStorm } from '../load/login-storm';
import { startCommitProbe, type CommitLatency } from './commit-probe';
import { startWebNode } from '../servers/parley-web';
import { connectLoad } from './fanout';
import { startFanoutServer } from './fanout-servers';
import { summarizeLevel, type LoadPlan } from './fanout-windows';
import type { Row } from './rows';
import { seedLoginUsers } from './web-seed';

export interface StormOptions {
  quick: boolean;
  postgres: Postgres;
  redis: Redis;
  log(line: string): void;
}

const BCRYPT_COST = 12;
const FANOUT = 100;
/** A moderate chat load: a quarter of what the chat service alone takes on this core. */
const OFFERED = 10_000;

export async function runLoginStormBench(options: StormOptions): Promise<Row[]> {
  const receivers = options.quick ? 200 : 1_000;
  const plan: LoadPlan = options.quick
    ? { warmupMs: 300, windowMs: 1_000, repetitions: 1 }
    : { warmupMs: 1_000, windowMs: 3_000, repetitions: 3 };
  const { url: webDatabaseUrl, db } = await options.postgres.createDatabase('bench_storm_web');
  const logins = await seedLoginUsers(db, options.quick ? 8 : 64, options.quick ? 10 : BCRYPT_COST);
  const web = await startWebNode({
    databaseUrl: webDatabaseUrl,
    bcryptCost: options.quick ? 10 : BCRYPT_COST,
  });
  const server = await startFanoutServer('A', options, { receivers, fanout: FANOUT });
  const pids = { chat: server.chatPids, other: [...server.otherPids, web.process.pid] };
  try {
    const load = await connectLoad(server, receivers, FANOUT);
    try {
      const quiet = summarizeLevel(OFFERED, await load.offer(OFFERED, plan, pids));
      const storm = startLoginStorm(web.url, logins, 16);
      const stormy = summarizeLevel(OFFERED, await load.offer(OFFERED, plan, pids));
      const stormStartedAt = storm.successTimes[0] ?? 0;
      const { ok, firstFailure } = await storm.stop();
      if (firstFailure) throw new Error(`login storm: ${firstFailure}`);
      const loginsPerSecond = ok / ((performance.now() - stormStartedAt) / 1000);
      // Control: the same chat load beside a busy loop at the lowest priority and no Parley code.
      const burner = startIdleBurner();
      const busy = summarizeLevel(OFFERED, await load.offer(OFFERED, plan, pids));
      burner.kill('SIGKILL');
      await load.verify();
      // Why: one commit at a time with the chat load stopped, core 0 quiet, then busy.
      const commits = await measureCommits(options.postgres, options.quick ? 50 : 300);
      options.log(
        `storm: chat p99 quiet ${formatSummary(quiet.firstP99Ms, 1)} ms, during ${loginsPerSecond.toFixed(1)} logins/s ${formatSummary(stormy.firstP99Ms, 1)} ms`,
      );
      const r = ratio(stormy.firstP99Ms, quiet.firstP99Ms);
      return [
        {
          id: 'T11',
          scenario: `chat p99 (F=${FANOUT}, ${OFFERED / 1000}k deliveries/s) during a login storm (cost ${BCRYPT_COST})`,
          measured: `quiet ${formatSummary(quiet.firstP99Ms, 1)} ms, storm ${formatSummary(stormy.firstP99Ms, 1)} ms at ${loginsPerSecond.toFixed(1)} logins/s`,
          target: 'storm/quiet ≤ 1.2',
          ratio: r,
          pass: r.median <= 1.2,
          detail: { quiet, stormy, loginsPerSecond },
        },
        {
          id: 'T11-commit',
          scenario: `one message committed at a time (20 ms apart), quiet core and beside the busy loop`,
          measured: `p50 ${ms(commits.quiet.p50Ms)} → ${ms(commits.busy.p50Ms)} ms, p99 ${ms(commits.quiet.p99Ms)} → ${ms(commits.busy.p99Ms)} ms`,
          target: 'reported (what every message waits for, quiet and busy)',
          detail: commits,
        },
        {
          id: 'T11-control',
          scenario: `chat p99 (same load) beside a SCHED_IDLE busy loop on the server core`,
          measured: `quiet ${formatSummary(quiet.firstP99Ms, 1)} ms, busy core ${formatSummary(busy.firstP99Ms, 1)} ms; p50 ${formatSummary(quiet.firstP50Ms, 2)} → ${formatSummary(busy.firstP50Ms, 2)} ms (storm ${formatSummary(stormy.firstP50Ms, 2)} ms)`,
          target: 'reported (what any background CPU use costs chat here)',
          ratio: ratio(busy.firstP99Ms, quiet.firstP99Ms),
          detail: { busy },
        },
      ];
    } finally {
      load.close();
    }
  } finally {
    await server.stop();
    await web.process.stop();
    await db.destroy();
  }
}

const ms = (value: number) => value.toFixed(2);

async function measureCommits(
  postgres: Postgres,
  count: number,
): Promise<{ quiet: CommitLatency; busy: CommitLatency }> {
  const probe = await startCommitProbe(postgres);
  try {
    await probe.measure(10); // warm-up: the connection, the statement's plan
    const quiet = await probe.measure(count);
    const burner = startIdleBurner();
    try {
      return { quiet, busy: await probe.measure(count) };
    } finally {
      burner.kill('SIGKILL');
    }
  } finally {
    await probe.close();
  }
}

/** A busy loop on the server core that yields to everything else (SCHED_IDLE), for T11-control. */
function startIdleBurner() {
  const burner = spawn(
    'taskset',
    ['-c', String(SERVER_CORE), 'chrt', '--idle', '0', process.execPath, '-e', 'for (;;);'],
    { stdio: 'ignore' },
  );
  process.once('exit', () => burner.kill('SIGKILL'));
  return burner;
}
