// T11: chat latency while the website service verifies passwords as fast as it can. Both services
// and PostgreSQL share the server core, as they would on one small machine.
import type { Postgres, Redis } from '../lib/infra';
import { formatSummary, ratio } from '../lib/stats';
import { startLoginStorm } from '../load/login-storm';
import { startWebNode } from '../servers/parley-web';
import { connectLoad, startFanoutServer, summarizeLevel, type LoadPlan } from './fanout';
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
      await load.verify();
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
