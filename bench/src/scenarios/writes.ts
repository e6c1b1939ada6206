// Write-heavy (T8): every member of a room sends, sync commit on, ack after commit. Servers: A
// (Parley, group commit) and N (one INSERT per message). The offered rate steps up (open loop:
// latency = ack time − intended send time) until persisted < 90 % of offered or ack p99 > 250 ms.
import { formatSummary, ratio, type Summary } from '../lib/stats';
import type { Row } from './rows';
import { runLevel, withSession, type Context, type Plan, type Session } from './writes-level';
import type { LevelResult } from './writes-level-result';
import type { Shape, WritesOptions } from './writes-servers';

export type { WritesOptions };

const FULL_PLAN: Plan = {
  warmupMs: 1_000,
  windowMs: 3_000,
  repetitions: 3,
  maxSteps: 12,
  isRefined: true,
  retriesWhenDisturbed: 2,
};
const QUICK_PLAN: Plan = {
  warmupMs: 250,
  windowMs: 1_000,
  repetitions: 1,
  maxSteps: 2,
  isRefined: false,
  retriesWhenDisturbed: 0,
};
// The hot room has the fan-out of the other rooms (10): with 50 members every server here is
// bound by the 50 socket writes per message, and the room's write path would not show.
const FULL_SHAPES: Shape[] = [
  { name: 'across-rooms', rooms: 100, sendersPerRoom: 10 },
  { name: 'hot-room', rooms: 1, sendersPerRoom: 10 },
];
const QUICK_SHAPES: Shape[] = [
  { name: 'across-rooms', rooms: 10, sendersPerRoom: 5 },
  { name: 'hot-room', rooms: 1, sendersPerRoom: 5 },
];

const START_RATE = 1_000;
const GROWTH = 1.5;
const rateOfStep = (step: number) => Math.round(START_RATE * GROWTH ** step);

interface Search {
  levels: LevelResult[];
  /** The highest level that was not saturated. */
  peak?: LevelResult;
}

/** Steps the offered rate up from ladder step `firstStep` until the server saturates. */
async function findPeak(session: Session, firstStep = 0): Promise<Search> {
  const { plan } = session.context;
  const levels: LevelResult[] = [];
  let peak: LevelResult | undefined;
  let saturated: LevelResult | undefined;
  for (let step = firstStep; step < firstStep + plan.maxSteps && !saturated; step++) {
    const level = await runLevel(session, rateOfStep(step));
    levels.push(level);
    if (level.isSaturated) saturated = level;
    else peak = level;
  }
  if (plan.isRefined && peak && saturated) {
    const level = await runLevel(session, Math.round(Math.sqrt(peak.offered * saturated.offered)));
    levels.push(level);
    if (!level.isSaturated) peak = level;
  }
  return { levels, peak };
}

// Saturated already at the first step: what it persisted there is the best estimate (an upper one).
const peakOf = (search: Search) => search.peak?.persisted ?? search.levels[0]!.persisted;
const msgs = (summary: Summary) => `${formatSummary(summary, 0)} msg/s`;
const peakText = (search: Search) =>
  search.peak ? msgs(peakOf(search)) : `≤ ${msgs(peakOf(search))} (saturated at the first step)`;

interface ShapeResult {
  shape: Shape;
  a: Search;
  n: Search;
  /** A at half its peak. */
  half?: LevelResult;
}

async function measureShape(context: Context, shape: Shape) {
  const { a, half } = await withSession(context, 'A', shape, undefined, async (session) => {
    const search = await findPeak(session);
    const rate = search.peak && Math.round(search.peak.persisted.median / 2);
    const level = rate ? await runLevel(session, rate) : undefined;
    return { a: search, half: level };
  });
  const n = await withSession(context, 'N', shape, undefined, (session) => findPeak(session));
  return { shape, a, n, half } satisfies ShapeResult;
}

const TARGET_PEAK: Record<Shape['name'], number> = { 'across-rooms': 10_000, 'hot-room': 5_000 };

function shapeRows({ shape, a, n, half }: ShapeResult): Row[] {
  const scenario = `write-heavy, ${shape.rooms} room(s) × ${shape.sendersPerRoom} senders`;
  const peakRatio = ratio(peakOf(a), peakOf(n));
  const levelsDetail = (search: Search) =>
    search.levels.map(({ windows: _windows, ...level }) => level);
  // CPU per message where both servers kept up: the highest offered rate both passed (else the
  // first step, which both ran).
  const common =
    [...a.levels]
      .reverse()
      .find((level) =>
        n.levels.some((other) => other.offered === level.offered && !other.isSaturated),
      ) ?? a.levels[0];
  const nCommon = common && n.levels.find((level) => level.offered === common.offered);
  const cpu = (level: LevelResult | undefined) =>
    level
      ? `chat ${formatSummary(level.chatCpuPerMessage)}, server side ` +
        `${formatSummary(level.serverCpuPerMessage)} CPU-µs/msg` +
        (level.isSaturated ? ' (saturated)' : '')
      : 'n/a';
  return [
    {
      id: `T8-${shape.name}`,
      scenario,
      measured: `A ${peakText(a)}, N ${peakText(n)}`,
      target: `A ≥ 10 × N and ≥ ${TARGET_PEAK[shape.name].toLocaleString('en')} msg/s`,
      ratio: peakRatio,
      pass:
        a.peak !== undefined &&
        peakRatio.median >= 10 &&
        peakOf(a).median >= TARGET_PEAK[shape.name],
      detail: { a: levelsDetail(a), n: levelsDetail(n) },
    },
    {
      id: `T8-${shape.name}-p99`,
      scenario: `${scenario}, A at half its peak (${half?.offered ?? 'n/a'} msg/s)`,
      measured: half
        ? `ack p50 ${formatSummary(half.p50Ms)} ms, p99 ${formatSummary(half.p99Ms)} ms`
        : 'n/a',
      target: 'ack p99 ≤ 50 ms',
      pass: half !== undefined && half.p99Ms.median <= 50,
      detail: { half },
    },
    {
      id: `T8-${shape.name}-cpu`,
      scenario: `${scenario}, both at ${common?.offered ?? 'n/a'} msg/s`,
      measured:
        `A ${cpu(common)}; N ${cpu(nCommon)}` +
        (a.peak
          ? ` (A at its peak: server side ${formatSummary(a.peak.serverCpuPerMessage)})`
          : ''),
      target: 'reported (server CPU per persisted message)',
      ratio: common && nCommon && ratio(nCommon.serverCpuPerMessage, common.serverCpuPerMessage),
      detail: { a: common, n: nCommon, aAtPeak: a.peak, nAtPeak: n.peak },
    },
  ];
}

/**
 * Group commit settings for A across rooms: the flush window at cap 500, then the cap at the
 * best window. Each reports its peak and its latency at one fixed rate (half the default peak).
 */
async function variationRows(context: Context, base: ShapeResult): Promise<Row[]> {
  const fixedRate = base.half?.offered;
  const basePeak = peakOf(base.a).median;
  if (!fixedRate || !basePeak) return [];
  // Start two steps below the default's peak: the lower steps would pass anyway.
  const firstStep = Math.max(0, Math.floor(Math.log(basePeak / START_RATE) / Math.log(GROWTH)) - 2);
  const measure = async (windowMs: number, cap: number) => {
    // The product default (5 ms, cap 500) is the base run itself.
    if (windowMs === 5 && cap === 500) return { search: base.a, fixed: base.half! };
    const env = { CHAT_FLUSH_WINDOW_MS: String(windowMs), CHAT_MAX_BATCH: String(cap) };
    return withSession(context, 'A', base.shape, env, async (session) => {
      context.options.log(`T8 variation: flush window ${windowMs} ms, batch cap ${cap}`);
      const search = await findPeak(session, firstStep);
      const fixed = await runLevel(session, fixedRate);
      return { search, fixed };
    });
  };
  const row = (id: string, settings: string, result: Awaited<ReturnType<typeof measure>>) => ({
    id,
    scenario: `write-heavy across rooms, A with ${settings}`,
    measured:
      `peak ${peakText(result.search)}; at ${fixedRate} msg/s ack p50 ` +
      `${formatSummary(result.fixed.p50Ms)} ms, p99 ${formatSummary(result.fixed.p99Ms)} ms`,
    target: 'reported',
    detail: { peak: result.search.peak, fixed: result.fixed },
  });
  const rows: Row[] = [];
  let best = { windowMs: 0, peak: -1, p99: Infinity };
  for (const windowMs of [0, 5, 10, 20]) {
    const result = await measure(windowMs, 500);
    rows.push(row(`T8-flush-${windowMs}ms`, `flush window ${windowMs} ms, cap 500`, result));
    const peak = peakOf(result.search).median;
    if (peak > best.peak || (peak === best.peak && result.fixed.p99Ms.median < best.p99)) {
      best = { windowMs, peak, p99: result.fixed.p99Ms.median };
    }
  }
  for (const cap of [100, 2000]) {
    const result = await measure(best.windowMs, cap);
    rows.push(row(`T8-batch-${cap}`, `flush window ${best.windowMs} ms, cap ${cap}`, result));
  }
  return rows;
}

/** T8: peaks of A and N in both shapes, A's latency at half its peak, CPU, group commit sweep. */
export async function runWriteBench(options: WritesOptions): Promise<Row[]> {
  const context: Context = {
    options,
    plan: options.quick ? QUICK_PLAN : FULL_PLAN,
    verified: { levels: 0, acked: 0, failedAcks: 0 },
  };
  const results: ShapeResult[] = [];
  for (const shape of options.quick ? QUICK_SHAPES : FULL_SHAPES) {
    results.push(await measureShape(context, shape));
  }
  const variations = options.quick ? [] : await variationRows(context, results[0]!);
  const { verified } = context;
  const lost: Row = {
    id: 'T8-lost',
    scenario: 'write-heavy, every level of every server',
    measured:
      `0 lost: ${verified.acked} acked messages stored once and delivered to every member ` +
      `(${verified.levels} levels, ${verified.failedAcks} refused acks)`,
    target: '0 lost',
    pass: true, // a loss or a duplicate throws before this row is made
    detail: { ...verified },
  };
  return [...results.flatMap(shapeRows), lost, ...variations];
}
