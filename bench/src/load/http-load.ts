// Closed-loop HTTP load from this process (the load core): N connections, each sending its next
// request when the previous answer arrives; throughput, and latency in µs in a histogram.
// autocannon: kept by the authors of Fastify and undici, who benchmark those with it. It writes
// pre-built requests and parses answers with little work each, so the load core offers several
// times what one server core answers; a loop over undici's Pool costs more per request.
import { readFileSync } from 'node:fs';
import { createHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { cpuMicros, SERVER_CORE, TICKS_PER_SECOND } from '../lib/proc';

export interface HttpTarget {
  label: string;
  /** http://host:port */
  url: string;
  /** '/api/rooms?q=ing' */
  path: string;
  headers?: Record<string, string>;
}

export interface HttpWindow {
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Share of one core this process (the load generator) used over the window. */
  loadCpu: number;
  /** Share of one core the watched process trees (the server side) used over the window. */
  serverCpu: number;
  /** The same, for each of the watched trees in turn. */
  serverCpuEach: number[];
  /** Share of the server core that was busy over the window, whoever used it. */
  serverCoreBusy: number;
}

/**
 * CPU time (µs) the core has been busy since boot, from /proc/stat. Less the watched processes'
 * time, it shows what else ran on the server core during a window (other jobs on the machine).
 */
export function coreBusyMicros(core = SERVER_CORE): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`cpu${core} `));
  if (!line) return NaN;
  // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = ticks.reduce((sum, value) => sum + value, 0) - ticks[3]! - ticks[4]!;
  return (busy * 1e6) / TICKS_PER_SECOND;
}

/**
 * Offers `connections` closed loops to `target` for `seconds`, reading the CPU time of the
 * `serverPids` process trees meanwhile; any error or non-2xx answer throws.
 */
export async function measureHttp(
  target: HttpTarget,
  connections: number,
  seconds: number,
  serverPids: number[] = [],
): Promise<HttpWindow> {
  // autocannon's own histogram keeps whole milliseconds: record the exact times in µs instead.
  const latencies = createHistogram();
  let answered = 0;
  const serverCpu = () => serverPids.map((pid) => cpuMicros(pid, true));
  const cpuBefore = cpuMicros(process.pid);
  const serverBefore = serverCpu();
  const coreBefore = coreBusyMicros();
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url + target.path,
        headers: target.headers,
        connections,
        duration: seconds,
        // autocannon stops at its next sample after `duration`: sample often, stop on time.
        sampleInt: 100,
      },
      (error: unknown, done) =>
        error ? reject(new Error(`autocannon: ${target.label}`, { cause: error })) : resolve(done),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode < 200 || statusCode > 299) return;
      answered++;
      latencies.record(Math.max(1, Math.round(responseTime * 1000)));
    });
  });
  const elapsedMs = performance.now() - started;
  const serverShares = serverCpu().map(
    (micros, index) => (micros - serverBefore[index]!) / (elapsedMs * 1000),
  );
  const coreMicros = coreBusyMicros() - coreBefore;
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `${target.label} at ${connections} connections: ${result.errors} errors, ` +
        `${result.timeouts} timeouts, ${result.non2xx} answers not 2xx`,
    );
  }
  if (answered === 0) throw new Error(`${target.label}: no answer in ${seconds} s`);
  return {
    connections,
    requestsPerSecond: answered / (elapsedMs / 1000),
    p50Ms: latencies.percentile(50) / 1000,
    p99Ms: latencies.percentile(99) / 1000,
    maxMs: latencies.max / 1000,
    loadCpu: (cpuMicros(process.pid) - cpuBefore) / (elapsedMs * 1000),
    serverCpu: serverShares.reduce((sum, value) => sum + value, 0),
    serverCpuEach: serverShares,
    serverCoreBusy: coreMicros / (elapsedMs * 1000),
  };
}

export interface ConcurrencySearch {
  /** The window with the most req/s among those whose p99 ≤ the limit, if any. */
  best: HttpWindow | undefined;
  windows: HttpWindow[];
}

/** Steps through `steps` connections, one window each, keeping the best within `p99LimitMs`. */
export async function searchConcurrency(
  target: HttpTarget,
  steps: number[],
  seconds: number,
  p99LimitMs: number,
  serverPids: number[] = [],
): Promise<ConcurrencySearch> {
  const windows: HttpWindow[] = [];
  for (const connections of steps) {
    windows.push(await measureHttp(target, connections, seconds, serverPids));
  }
  const best = windows
    .filter((window) => window.p99Ms <= p99LimitMs)
    .reduce<HttpWindow | undefined>(
      (found, window) =>
        !found || window.requestsPerSecond > found.requestsPerSecond ? window : found,
      undefined,
    );
  return { best, windows };
}
