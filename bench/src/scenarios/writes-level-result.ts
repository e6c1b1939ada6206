// What one T8 level measured: each window's persisted rate, ack latency and CPU (from snapshots
// of the processes and of /proc/stat at the window's edges), summarized over the windows.
import { readFileSync } from 'node:fs';
import type { RecordableHistogram } from 'node:perf_hooks';
import { cpuMicros, LOAD_CORE, SERVER_CORE } from '../lib/proc';
import { summarize, type Summary } from '../lib/stats';

const SATURATED_P99_MS = 250;

interface WindowResult {
  persisted: number;
  p50Ms: number;
  p99Ms: number;
  /** Chat process CPU-µs per persisted message. */
  chatCpuPerMessage: number;
  /** Chat + PostgreSQL. */
  serverCpuPerMessage: number;
  /** Share of the server core used by the server side. */
  serverCores: number;
  /** Share of its core used by this load generator (near 1: the figure is the generator's). */
  loadCores: number;
  /**
   * Busy share of each core not explained by this benchmark (other jobs on the machine): well
   * above 0, the window's figures are disturbed.
   */
  foreignCores: [number, number];
}

export interface LevelResult {
  offered: number;
  windows: WindowResult[];
  persisted: Summary;
  p50Ms: Summary;
  p99Ms: Summary;
  chatCpuPerMessage: Summary;
  serverCpuPerMessage: Summary;
  serverCores: Summary;
  loadCores: Summary;
  /** Worst foreign load seen on the server core and on the load core. */
  foreignCores: [number, number];
  acked: number;
  failedAcks: number;
  isSaturated: boolean;
}

export interface Snapshot {
  at: number;
  chatCpu: number;
  serverCpu: number;
  loadCpu: number;
  /** Busy and total jiffies of cores 0 and 1 (/proc/stat). */
  cores: { busy: number; total: number }[];
}

export function snapshot(chatPid: number, postgresPid: number): Snapshot {
  const chatCpu = cpuMicros(chatPid, true);
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    chatCpu,
    serverCpu: chatCpu + cpuMicros(postgresPid, true),
    loadCpu: usage.user + usage.system,
    cores: [SERVER_CORE, LOAD_CORE].map(coreTimes),
  };
}

export function coreTimes(core: number): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((candidate) => candidate.startsWith(`cpu${core} `));
  // user nice system idle iowait irq softirq steal …
  const fields = (line ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

export function windowResult(
  histogram: RecordableHistogram,
  persisted: number,
  windowMs: number,
  before: Snapshot,
  after: Snapshot,
): WindowResult {
  const seconds = (after.at - before.at) / 1000;
  const p = (percentile: number) =>
    histogram.count > 0 ? histogram.percentile(percentile) / 1000 : NaN;
  return {
    persisted: persisted / (windowMs / 1000),
    p50Ms: p(50),
    p99Ms: p(99),
    chatCpuPerMessage: (after.chatCpu - before.chatCpu) / persisted,
    serverCpuPerMessage: (after.serverCpu - before.serverCpu) / persisted,
    serverCores: (after.serverCpu - before.serverCpu) / 1e6 / seconds,
    loadCores: (after.loadCpu - before.loadCpu) / 1e6 / seconds,
    foreignCores: [0, 1].map((core) => {
      const busy = after.cores[core]!.busy - before.cores[core]!.busy;
      const share = busy / (after.cores[core]!.total - before.cores[core]!.total || 1);
      const ours = core === 0 ? after.serverCpu - before.serverCpu : after.loadCpu - before.loadCpu;
      return Math.max(0, share - ours / 1e6 / seconds);
    }) as [number, number],
  };
}

export function summarizeLevel(
  offered: number,
  windows: WindowResult[],
  acked: number,
  failedAcks: number,
): LevelResult {
  const of = (pick: (window: WindowResult) => number) => summarize(windows.map(pick));
  const persisted = of((w) => w.persisted);
  const p99Ms = of((w) => w.p99Ms);
  return {
    offered,
    windows,
    persisted,
    p50Ms: of((w) => w.p50Ms),
    p99Ms,
    chatCpuPerMessage: of((w) => w.chatCpuPerMessage),
    serverCpuPerMessage: of((w) => w.serverCpuPerMessage),
    serverCores: of((w) => w.serverCores),
    loadCores: of((w) => w.loadCores),
    foreignCores: [0, 1].map((core) => Math.max(...windows.map((w) => w.foreignCores[core]!))) as [
      number,
      number,
    ],
    acked,
    failedAcks,
    isSaturated:
      persisted.median < 0.9 * offered || !(p99Ms.median <= SATURATED_P99_MS) || failedAcks > 0,
  };
}
