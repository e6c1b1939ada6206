// The website scenarios. T9 (here): sign-ins per second at BCRYPT_COST 12 against the
// hash-bound ceiling of the one server core, and, in windows of their own, how fast the event
// loop answers meanwhile.
// T10 (web-query.ts): room search and history pages against a bare Express route.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT, type Postgres } from '../lib/infra';
import { SERVER_CORE } from '../lib/proc';
import { formatSummary, ratio, summarize } from '../lib/stats';
import { startWebNode } from '../servers/parley-web';
import { healthLatencies, measureLoginWindow, type LoginWindow } from './login-window';
import type { Row } from './rows';
import { checkLogin } from './web-checks';
import { seedLoginUsers } from './web-seed';

export { startLoginStorm } from '../load/login-storm';
export { runQueryBench } from './web-query';
export { seedLoginUsers } from './web-seed';

export interface WebScenarioOptions {
  /** A smoke test of the harness: little data, short windows, no verdicts. */
  quick: boolean;
  postgres: Postgres;
  log: (line: string) => void;
}

/** The server side of the login bench is one process pinned to one core. */
const SERVER_CORES = 1;
/** Enough to keep every hashing thread busy while answers travel (the service has one per core). */
const LOGIN_CONCURRENCY = 8;

// Quick runs hash at cost 10 (a quarter of the work), so their short window sees sign-ins at all.
// A window lasts windowMs and until minLogins sign-ins, so that hashes finishing together (several
// threads sharing the core) do not make its count jump.
const LOGIN_PLAN = {
  full: {
    cost: 12,
    users: 16,
    probeHashes: 12,
    repetitions: 3,
    warmupMs: 1_000,
    windowMs: 5_000,
    minLogins: 20,
  },
  quick: {
    cost: 10,
    users: 8,
    probeHashes: 4,
    repetitions: 1,
    warmupMs: 300,
    windowMs: 1_000,
    minLogins: 4,
  },
};

/** T9: sign-ins per second against cores × 1000 / ms per hash; any failed sign-in throws. */
export async function runLoginBench({ quick, postgres, log }: WebScenarioOptions): Promise<Row[]> {
  const plan = quick ? LOGIN_PLAN.quick : LOGIN_PLAN.full;
  const { url: databaseUrl, db } = await postgres.createDatabase('bench_login');
  try {
    const logins = await seedLoginUsers(db, plan.users, plan.cost);
    // The ceiling is probed before and after the storm windows, so drift in the machine's speed
    // over the scenario falls on both sides of the ratio alike.
    const before = await measureBcrypt(plan.cost, plan.probeHashes);
    const web = await startWebNode({ databaseUrl, bcryptCost: plan.cost });
    try {
      await checkLogin(web.url, logins[0]!);
      log(`T9: server-web up, ${plan.users} users can sign in`);
      const quietUntil = performance.now() + plan.windowMs;
      const quiet = await healthLatencies(web.url, () => performance.now() >= quietUntil);
      const rates: LoginWindow[] = [];
      const probed: LoginWindow[] = [];
      for (let repetition = 0; repetition < plan.repetitions; repetition++) {
        for (const probeHealth of [false, true]) {
          const window = await measureLoginWindow(web, postgres.pid, logins, LOGIN_CONCURRENCY, {
            ...plan,
            probeHealth,
          });
          log(
            `T9: ${window.loginsPerSecond.toFixed(2)} logins/s ` +
              `(${window.loginsPerWebCpuSecond.toFixed(2)} per server-web CPU-second)` +
              (window.health ? `, /healthz p99 ${window.health.p99Ms.toFixed(1)} ms` : '') +
              `; core 0: web ${share(window.webCpu)}, postgres ${share(window.postgresCpu)}, ` +
              `other ${share(window.serverCoreBusy - window.webCpu - window.postgresCpu)}`,
          );
          (probeHealth ? probed : rates).push(window);
        }
      }
      const after = await measureBcrypt(plan.cost, plan.probeHashes);
      // The CPU time is what a core of its own would take, even when other work shares core 0.
      const msPerHash = (before.cpuMsPerHash + after.cpuMsPerHash) / 2;
      log(
        `T9: bcrypt comparison at cost ${plan.cost} on core 0: ${before.cpuMsPerHash.toFixed(1)} ` +
          `ms CPU before the storms, ${after.cpuMsPerHash.toFixed(1)} after`,
      );
      return loginRows(rates, probed, {
        ...plan,
        msPerHash,
        probes: [before, after],
        quietHealthP99Ms: quiet.p99Ms,
        quick,
      });
    } finally {
      await web.process.stop();
    }
  } finally {
    await db.destroy();
  }
}

/** ms per bcrypt comparison on one thread of the server core: CPU time and wall time. */
async function measureBcrypt(cost: number, hashes: number) {
  const { stdout } = await promisify(execFile)(
    'taskset',
    [
      ...['-c', String(SERVER_CORE), process.execPath, '--import', 'tsx'],
      ...[`${ROOT}/bench/src/servers/bcrypt-loop.ts`, String(cost), String(hashes)],
    ],
    { cwd: ROOT },
  );
  return JSON.parse(stdout) as { msPerHash: number; cpuMsPerHash: number };
}

function loginRows(
  rates: LoginWindow[],
  probed: LoginWindow[],
  run: {
    cost: number;
    msPerHash: number;
    probes: { msPerHash: number; cpuMsPerHash: number }[];
    quietHealthP99Ms: number;
    quick: boolean;
  },
): Row[] {
  const { msPerHash, probes, quietHealthP99Ms, quick } = run;
  const ceiling = (SERVER_CORES * 1000) / msPerHash;
  const rate = summarize(rates.map((window) => window.loginsPerSecond));
  const perWebCpu = summarize(rates.map((window) => window.loginsPerWebCpuSecond));
  const probedRate = summarize(probed.map((window) => window.loginsPerSecond));
  const ofCeiling = ratio(rate, summarize([ceiling]));
  const health = summarize(probed.map((window) => window.health!.p99Ms));
  const ofHash = summarize(probed.map((window) => window.health!.p99Ms / msPerHash));
  const detail = {
    msPerHash,
    probes,
    ceiling,
    quietHealthP99Ms,
    concurrency: LOGIN_CONCURRENCY,
    windows: rates,
    probedWindows: probed,
  };
  return [
    {
      id: 'T9',
      scenario: `sign-in at BCRYPT_COST ${run.cost}, ${LOGIN_CONCURRENCY} in flight`,
      measured:
        `${formatSummary(rate, 2)} logins/s (${formatSummary(perWebCpu, 2)} per server-web ` +
        `CPU-s); ceiling ${ceiling.toFixed(2)}/s (${msPerHash.toFixed(0)} CPU-ms per hash)`,
      target: '≥ 0.9 × hash-bound ceiling',
      ratio: ofCeiling,
      pass: quick ? undefined : ofCeiling.median >= 0.9,
      detail,
    },
    {
      id: 'T9-event-loop',
      scenario: 'GET /healthz every 20 ms during the sign-in storm',
      measured:
        `p99 ${formatSummary(health)} ms (quiet ${quietHealthP99Ms.toFixed(1)} ms), ` +
        `${formatSummary(probedRate, 2)} logins/s meanwhile`,
      // Were bcrypt on the event loop, a probe would wait for hashes in progress: p99 ≈ one hash.
      target: 'p99 < 0.25 × ms per hash (bcrypt off the event loop)',
      ratio: ofHash,
      pass: quick ? undefined : ofHash.median < 0.25,
      detail,
    },
  ];
}

const share = (value: number) => `${(value * 100).toFixed(0)}%`;
