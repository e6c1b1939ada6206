// One measured window of a sign-in storm (T9): sign-ins per second, how fast the event loop
// answers GET /healthz meanwhile, and who used the server core.
import { createHistogram } from 'node:perf_hooks';
import { cpuMicros } from '../lib/proc';
import { coreBusyMicros } from '../load/http-load';
import { startLoginStorm, type Login, type LoginStorm } from '../load/login-storm';
import type { WebNode } from '../servers/parley-web';

export interface LoginWindowPlan {
  warmupMs: number;
  /** The window lasts this long, and until `minLogins` sign-ins completed in it. */
  windowMs: number;
  minLogins: number;
  /**
   * GET /healthz every 20 ms through the window. Each probe costs the core about as much as a
   * small request, 6–8 % of a hash-bound storm's throughput on this VM, so the sign-in rate is
   * read from windows without probes and the event loop from windows with them.
   */
  probeHealth: boolean;
}

export interface LoginWindow {
  loginsPerSecond: number;
  /** Sign-ins per CPU-second of server-web: what a core of its own would give, other work aside. */
  loginsPerWebCpuSecond: number;
  /** Sign-ins that completed inside the window. */
  completed: number;
  windowMs: number;
  /** Set when the window probed GET /healthz. */
  health?: { p99Ms: number; maxMs: number };
  /** Shares of one core over the window. */
  webCpu: number;
  postgresCpu: number;
  /** Busy share of the server core, whoever used it (other jobs on the machine too). */
  serverCoreBusy: number;
}

/** Past this, a warm-up or window that sees no sign-ins is a failure. */
const MAX_WAIT_MS = 120_000;

/** Starts a storm, measures one window of it, stops it; any failed sign-in throws. */
export async function measureLoginWindow(
  web: WebNode,
  postgresPid: number,
  logins: Login[],
  concurrency: number,
  plan: LoginWindowPlan,
): Promise<LoginWindow> {
  const storm = startLoginStorm(web.url, logins, concurrency);
  const measured = await watchStorm(web, postgresPid, storm, concurrency, plan).catch(
    async (error: unknown) => {
      const { ok, attempts, firstFailure } = await storm.stop();
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${message}; ${ok} of ${attempts} sign-ins ok; ${firstFailure ?? ''}`);
    },
  );
  const outcome = await storm.stop();
  if (outcome.ok !== outcome.attempts) {
    const failed = outcome.attempts - outcome.ok;
    throw new Error(`${failed} of ${outcome.attempts} sign-ins failed: ${outcome.firstFailure}`);
  }
  const { from, to, ...rest } = measured;
  const inside = storm.successTimes.filter((time) => time >= from && time <= to);
  const loginsPerSecond = rateOf(inside, to - from);
  return {
    loginsPerSecond,
    loginsPerWebCpuSecond: loginsPerSecond / rest.webCpu,
    completed: inside.length,
    windowMs: to - from,
    ...rest,
  };
}

async function watchStorm(
  web: WebNode,
  postgresPid: number,
  storm: LoginStorm,
  concurrency: number,
  plan: LoginWindowPlan,
) {
  // Steady state once every loop has had an answer: the thread pool's queue is full.
  const started = performance.now();
  while (storm.successTimes.length < concurrency || performance.now() - started < plan.warmupMs) {
    if (performance.now() - started > MAX_WAIT_MS) throw new Error('no steady sign-ins');
    await sleep(20);
  }
  const from = performance.now();
  const loginsBefore = storm.successTimes.length;
  const webBefore = cpuMicros(web.process.pid);
  const postgresBefore = cpuMicros(postgresPid, true);
  const coreBefore = coreBusyMicros();
  const isDone = () =>
    performance.now() - from >= plan.windowMs &&
    storm.successTimes.length - loginsBefore >= plan.minLogins;
  const health = plan.probeHealth ? await healthLatencies(web.url, isDone) : undefined;
  while (!isDone()) {
    if (performance.now() - from > MAX_WAIT_MS) throw new Error('the window did not fill');
    await sleep(20);
  }
  const to = performance.now();
  const micros = (to - from) * 1000;
  return {
    from,
    to,
    health,
    webCpu: (cpuMicros(web.process.pid) - webBefore) / micros,
    postgresCpu: (cpuMicros(postgresPid, true) - postgresBefore) / micros,
    serverCoreBusy: (coreBusyMicros() - coreBefore) / micros,
  };
}

/**
 * Events per second: the least-squares slope of their running count against time. Hashes on
 * threads sharing a core finish together in bursts, which make a plain count over a window jump
 * by a burst; the slope over whole bursts is exact, and so it is for evenly spread ones.
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

/** GET /healthz one at a time, every 20 ms, until `isDone`: how fast the event loop answers. */
export async function healthLatencies(url: string, isDone: () => boolean) {
  const latencies = createHistogram();
  const started = performance.now();
  while (!isDone()) {
    if (performance.now() - started > MAX_WAIT_MS) throw new Error('the window did not fill');
    const sent = performance.now();
    const response = await fetch(`${url}/healthz`);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`/healthz answered ${response.status}`);
    latencies.record(Math.max(1, Math.round((performance.now() - sent) * 1000)));
    await sleep(20);
  }
  return { p99Ms: latencies.percentile(99) / 1000, maxMs: latencies.max / 1000 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
