// What one measured window of a fan-out load found, and a load level summarized over its
// windows: server CPU per delivery read from /proc, latency at the first and last member.
import type { RecordableHistogram } from 'node:perf_hooks';
import { cpuMicros } from '../lib/proc';
import { summarize, type Summary } from '../lib/stats';

const SATURATED_P99_US = 250_000;

export interface WindowResult {
  offered: number;
  /** Deliveries per second received in the window. */
  delivered: number;
  /** Chat process(es) CPU-µs per delivered message. */
  chatCpuPerDelivery: number;
  /** Whole server side (chat + PostgreSQL + Redis). */
  serverCpuPerDelivery: number;
  /** Share of one core the server side used. */
  serverCores: number;
  /** Share of its core the load generator used (it must stay below 1 for the figure to mean much). */
  loadCores: number;
  firstP50Us: number;
  firstP99Us: number;
  lastP50Us: number;
  lastP99Us: number;
  ackP99Us: number;
  /** The load generator's own event-loop delay p99: when high, latency is partly its own. */
  loadLagP99Us: number;
}

export interface LevelResult {
  offered: number;
  windows: WindowResult[];
  /** Summaries over the windows. */
  delivered: Summary;
  chatCpuPerDelivery: Summary;
  serverCpuPerDelivery: Summary;
  firstP99Ms: Summary;
  lastP99Ms: Summary;
  firstP50Ms: Summary;
  ackP99Ms: Summary;
  serverCores: Summary;
  loadCores: Summary;
  isSaturated: boolean;
}

export interface LoadPlan {
  warmupMs: number;
  windowMs: number;
  repetitions: number;
}

export interface Snapshot {
  at: number;
  frames: number;
  chatCpu: number;
  serverCpu: number;
  loadCpu: number;
}

export function snapshot(pids: { chat: number[]; other: number[] }, frames: number): Snapshot {
  const chatCpu = pids.chat.reduce((sum, pid) => sum + cpuMicros(pid, true), 0);
  const otherCpu = pids.other.reduce((sum, pid) => sum + cpuMicros(pid, true), 0);
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    frames,
    chatCpu,
    serverCpu: chatCpu + otherCpu,
    loadCpu: usage.user + usage.system,
  };
}

export function windowResult(
  offered: number,
  before: Snapshot,
  after: Snapshot,
  histograms: Record<'first' | 'last' | 'ack', RecordableHistogram>,
): Omit<WindowResult, 'loadLagP99Us'> {
  const seconds = (after.at - before.at) / 1000;
  const deliveries = after.frames - before.frames;
  const p = (histogram: RecordableHistogram, percentile: number) =>
    histogram.count > 0 ? histogram.percentile(percentile) : NaN;
  return {
    offered,
    delivered: deliveries / seconds,
    chatCpuPerDelivery: (after.chatCpu - before.chatCpu) / deliveries,
    serverCpuPerDelivery: (after.serverCpu - before.serverCpu) / deliveries,
    serverCores: (after.serverCpu - before.serverCpu) / 1e6 / seconds,
    loadCores: (after.loadCpu - before.loadCpu) / 1e6 / seconds,
    firstP50Us: p(histograms.first, 50),
    firstP99Us: p(histograms.first, 99),
    lastP50Us: p(histograms.last, 50),
    lastP99Us: p(histograms.last, 99),
    ackP99Us: p(histograms.ack, 99),
  };
}

export function summarizeLevel(offered: number, windows: WindowResult[]): LevelResult {
  const of = (pick: (window: WindowResult) => number) => summarize(windows.map(pick));
  const delivered = of((w) => w.delivered);
  const firstP99Ms = of((w) => w.firstP99Us / 1000);
  const lastP99Ms = of((w) => w.lastP99Us / 1000);
  return {
    offered,
    windows,
    delivered,
    chatCpuPerDelivery: of((w) => w.chatCpuPerDelivery),
    serverCpuPerDelivery: of((w) => w.serverCpuPerDelivery),
    firstP99Ms,
    lastP99Ms,
    firstP50Ms: of((w) => w.firstP50Us / 1000),
    ackP99Ms: of((w) => w.ackP99Us / 1000),
    serverCores: of((w) => w.serverCores),
    loadCores: of((w) => w.loadCores),
    isSaturated:
      delivered.median < 0.9 * offered ||
      Math.max(firstP99Ms.median, lastP99Ms.median) * 1000 > SATURATED_P99_US,
  };
}
