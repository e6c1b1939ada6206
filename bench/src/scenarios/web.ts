// The website scenarios. T9 (here): sign-ins per second at BCRYPT_COST 12 against the
// hash-bound ceiling of the one server core, and how fast the event loop answers meanwhile.
// T10 (web-query.ts): room search and history pages against a bare Express route.
import { execFile } from 'node:child_process';
import { createHistogram } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { ROOT, type Postgres } from '../lib/infra';
import { cpuMicros, SERVER_CORE } from '../lib/proc';
import { formatSummary, ratio, summarize } from '../lib/stats';
import { coreBusyMicros } from '../load/http-load';
import { startLoginStorm, type Login } from '../load/login-storm';
import { startWebNode, type WebNode } from '../servers/parley-web';
import type { Row } from './rows';
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
/** Enough to keep libuv's four hashing threads busy while answers travel. */
const LOGIN_CONCURRENCY = 8;

// Quick runs hash at cost 10 (a quarter of the work), so their short window sees sign-ins at all.
const LOGIN_PLAN = {
  full: { cost: 12, users: 16, probeHashes: 12, repetitions: 3, warmupMs: 1_000, windowMs: 5_000 },
  quick: { cost: 10, users: 8, probeHashes: 4, repetitions: 1, warmupMs: 300, windowMs: 1_000 },
};
type LoginPlan = typeof LOGIN_PLAN.full;

interface LoginWindow {
  loginsPerSecond: number;
  /** Sign-ins that completed inside the window. */
  completed: number;
  healthP99Ms: number;
  healthMaxMs: number;
  /** Shares of one core over the window. */
  webCpu: number;
  postgresCpu: number;
  /** Busy share of the server core, whoever used it (other jobs on the machine too). */
  serverCoreBusy: number;
}

/** T9: sign-ins per second against cores × 1000 / ms per hash; any failed sign-in throws. */
export async function runLoginBench({ quick, postgres, log }: WebScenarioOptions): Promise<Row[]> {
  const plan = quick ? LOGIN_PLAN.quick : LOGIN_PLAN.full;
  const { url: databaseUrl, db } = await postgres.createDatabase('bench_login');
  try {
    const logins = await seedLoginUsers(db, plan.users, plan.cost);
    const msPerHash = await measureBcrypt(plan.cost, plan.probeHashes);
    log(`T9: ${msPerHash.toFixed(1)} ms per bcrypt comparison at cost ${plan.cost} on core 0`);
    const web = await startWebNode({ databaseUrl, bcryptCost: plan.cost });
    try {
      await checkLogin(web.url, logins[0]!);
      log(`T9: server-web up, ${plan.users} users can sign in`);
      const quiet = await healthLatencies(web.url, plan.windowMs);
      const windows: LoginWindow[] = [];
      for (let repetition = 0; repetition < plan.repetitions; repetition++) {
        const window = await measureLoginWindow(web, postgres.pid, logins, plan);
        log(
          `T9: ${window.loginsPerSecond.toFixed(2)} logins/s, /healthz p99 ` +
            `${window.healthP99Ms.toFixed(1)} ms; core 0: web ${share(window.webCpu)}, ` +
            `postgres ${share(window.postgresCpu)}, busy ${share(window.serverCoreBusy)}`,
        );
        windows.push(window);
      }
      return loginRows(windows, { ...plan, msPerHash, quietHealthP99Ms: quiet.p99Ms, quick });
    } finally {
      await web.process.stop();
    }
  } finally {
    await db.destroy();
  }
}

/** ms per bcrypt comparison on one thread of the server core, with nothing else running there. */
async function measureBcrypt(cost: number, hashes: number): Promise<number> {
  const { stdout } = await promisify(execFile)(
    'taskset',
    [
      ...['-c', String(SERVER_CORE), process.execPath, '--import', 'tsx'],
      ...[`${ROOT}/bench/src/servers/bcrypt-loop.ts`, String(cost), String(hashes)],
    ],
    { cwd: ROOT },
  );
  return (JSON.parse(stdout) as { msPerHash: number }).msPerHash;
}

/** One sign-in answers 200 with the user, a cookie and a token that opens GET /api/auth/me. */
async function checkLogin(url: string, login: Login): Promise<void> {
  const response = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(login),
  });
  const body = (await response.json()) as { user?: { email?: string }; token?: string };
  const me = await fetch(`${url}/api/auth/me`, {
    headers: { authorization: `Bearer ${body.token}` },
  });
  const meBody = (await me.json()) as { user?: { email?: string } };
  if (
    response.status !== 200 ||
    body.user?.email !== login.email ||
    !response.headers.get('set-cookie')?.includes('access_token=') ||
    me.status !== 200 ||
    meBody.user?.email !== login.email
  ) {
    throw new Error(`sign-in check failed: ${response.status} ${JSON.stringify(body)}`);
  }
}

async function measureLoginWindow(
  web: WebNode,
  postgresPid: number,
  logins: Login[],
  plan: LoginPlan,
): Promise<LoginWindow> {
  const storm = startLoginStorm(web.url, logins, LOGIN_CONCURRENCY);
  const measured = await watchStorm(web, postgresPid, plan).catch(async (error: unknown) => {
    await storm.stop();
    throw error;
  });
  const outcome = await storm.stop();
  if (outcome.ok !== outcome.attempts) {
    const failed = outcome.attempts - outcome.ok;
    throw new Error(`${failed} of ${outcome.attempts} sign-ins failed: ${outcome.firstFailure}`);
  }
  const { from, to, ...rest } = measured;
  const inside = storm.successTimes.filter((time) => time >= from && time <= to);
  return { loginsPerSecond: rateOf(inside, to - from), completed: inside.length, ...rest };
}

/** After the warm-up, one window of /healthz probes and CPU readings while the storm runs. */
async function watchStorm(web: WebNode, postgresPid: number, plan: LoginPlan) {
  await sleep(plan.warmupMs);
  const from = performance.now();
  const webBefore = cpuMicros(web.process.pid);
  const postgresBefore = cpuMicros(postgresPid, true);
  const coreBefore = coreBusyMicros();
  const health = await healthLatencies(web.url, plan.windowMs);
  const to = performance.now();
  return {
    from,
    to,
    healthP99Ms: health.p99Ms,
    healthMaxMs: health.maxMs,
    webCpu: (cpuMicros(web.process.pid) - webBefore) / ((to - from) * 1000),
    postgresCpu: (cpuMicros(postgresPid, true) - postgresBefore) / ((to - from) * 1000),
    serverCoreBusy: (coreBusyMicros() - coreBefore) / ((to - from) * 1000),
  };
}

/**
 * Events per second: the least-squares slope of their running count against time. Hashes
 * sharing the core finish in bursts, which make a plain count over the window jump by a burst.
 */
function rateOf(times: number[], windowMs: number): number {
  const meanTime = times.reduce((sum, time) => sum + time, 0) / times.length;
  const meanIndex = (times.length - 1) / 2;
  let covariance = 0;
  let variance = 0;
  times.forEach((time, index) => {
    covariance += (time - meanTime) * (index - meanIndex);
    variance += (time - meanTime) ** 2;
  });
  if (times.length < 3 || variance === 0) return (times.length * 1000) / windowMs;
  return (covariance / variance) * 1000;
}

/** GET /healthz one at a time, every 20 ms, for `durationMs`: how fast the event loop answers. */
async function healthLatencies(url: string, durationMs: number) {
  const latencies = createHistogram();
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const started = performance.now();
    const response = await fetch(`${url}/healthz`);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`/healthz answered ${response.status}`);
    latencies.record(Math.max(1, Math.round((performance.now() - started) * 1000)));
    await sleep(20);
  }
  return { p99Ms: latencies.percentile(99) / 1000, maxMs: latencies.max / 1000 };
}

function loginRows(
  windows: LoginWindow[],
  run: { cost: number; msPerHash: number; quietHealthP99Ms: number; quick: boolean },
): Row[] {
  const { msPerHash, quietHealthP99Ms, quick } = run;
  const ceiling = (SERVER_CORES * 1000) / msPerHash;
  const rate = summarize(windows.map((window) => window.loginsPerSecond));
  const ofCeiling = ratio(rate, summarize([ceiling]));
  const health = summarize(windows.map((window) => window.healthP99Ms));
  const ofHash = summarize(windows.map((window) => window.healthP99Ms / msPerHash));
  const detail = { msPerHash, ceiling, quietHealthP99Ms, concurrency: LOGIN_CONCURRENCY, windows };
  return [
    {
      id: 'T9',
      scenario: `sign-in at BCRYPT_COST ${run.cost}, ${LOGIN_CONCURRENCY} in flight`,
      measured:
        `${formatSummary(rate, 2)} logins/s; ceiling ${ceiling.toFixed(2)}/s ` +
        `(${msPerHash.toFixed(0)} ms per hash, ${SERVER_CORES} core)`,
      target: '≥ 0.9 × hash-bound ceiling',
      ratio: ofCeiling,
      pass: quick ? undefined : ofCeiling.median >= 0.9,
      detail,
    },
    {
      id: 'T9-event-loop',
      scenario: 'GET /healthz during the sign-in storm',
      measured: `p99 ${formatSummary(health)} ms (quiet ${quietHealthP99Ms.toFixed(1)} ms)`,
      // Were bcrypt on the event loop, a probe would wait for hashes in progress: p99 ≈ one hash.
      target: 'p99 < 0.25 × ms per hash (bcrypt off the event loop)',
      ratio: ofHash,
      pass: quick ? undefined : ofHash.median < 0.25,
      detail,
    },
  ];
}

const share = (value: number) => `${(value * 100).toFixed(0)}%`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
