// T10: what a signed-in user reads most — room search over 100,000 rooms and history pages of a
// room with 1,000,000 messages — against a bare Express route on the same core: each at the
// most req/s whose p99 stays within 50 ms, and at one request at a time.
import type { Db } from '@parley/db';
import { createRooms, createUsers, ROOT, type BenchRoom, type BenchUser } from '../lib/infra';
import { spawnServer, type ServerProcess } from '../lib/proc';
import { formatSummary, ratio, summarize } from '../lib/stats';
import {
  measureHttp,
  searchConcurrency,
  type ConcurrencySearch,
  type HttpTarget,
  type HttpWindow,
} from '../load/http-load';
import { startWebNode } from '../servers/parley-web';
import { freePort } from '../../../test/support/redis-server';
import type { Row } from './rows';
import type { WebScenarioOptions } from './web';
import { messageContent, seedMessages, seedRooms } from './web-seed';

const P99_LIMIT_MS = 50;
const LOW_LOAD_P99_MS = 20;
/** In about one name in ten (cooking, gaming, running, cycling): a page fills near the start. */
const SEARCH_Q = 'ing';

const QUERY_PLAN = {
  full: {
    rooms: 100_000,
    messages: 1_000_000,
    steps: [1, 2, 4, 8, 16, 32],
    stepSeconds: 2,
    warmupSeconds: 1,
    repetitions: 3,
    lowSeconds: 2,
    bestSeconds: 3,
  },
  quick: {
    rooms: 2_000,
    messages: 20_000,
    steps: [1, 8],
    stepSeconds: 0.3,
    warmupSeconds: 0,
    repetitions: 1,
    lowSeconds: 0.3,
    bestSeconds: 0.3,
  },
};
type QueryPlan = typeof QUERY_PLAN.full;

type TargetKey = 'bare' | 'search' | 'latest' | 'middle';

interface TargetResult {
  target: HttpTarget;
  search: ConcurrencySearch;
  /** Per repetition, at the concurrency the search chose. */
  best: HttpWindow[];
  /** Per repetition, one connection. */
  low: HttpWindow[];
}

/** T10; wrong search results or history pages throw. */
export async function runQueryBench({ quick, postgres, log }: WebScenarioOptions): Promise<Row[]> {
  const plan = quick ? QUERY_PLAN.quick : QUERY_PLAN.full;
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const { url: databaseUrl, db } = await postgres.createDatabase('bench_query');
    cleanups.push(() => db.destroy());
    const [reader] = await createUsers(db, 1, 'reader');
    const [bigRoom] = await createRooms(db, reader!.id, 1, 'history');
    await seedRooms(db, reader!.id, plan.rooms);
    await seedMessages(db, bigRoom!.id, reader!, plan.messages);
    log(`T10: seeded ${plan.rooms} rooms and ${plan.messages} messages in ${bigRoom!.name}`);

    const bare = await startBareExpress();
    cleanups.push(() => bare.process.stop());
    const web = await startWebNode({ databaseUrl, bcryptCost: 12 });
    cleanups.push(() => web.process.stop());

    const targets = queryTargets(bare.url, web.url, reader!, bigRoom!, plan.messages);
    await checkSearch(db, targets.search);
    await checkHistory(targets.latest, plan.messages);
    await checkHistory(targets.middle, middleSeq(plan.messages));
    log('T10: servers up, search and history pages checked');
    const serverPids = [bare.process.pid, web.process.pid, postgres.pid];
    return queryRows(await measureTargets(targets, plan, serverPids, log), quick);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

async function startBareExpress(): Promise<{ url: string; process: ServerProcess }> {
  const port = await freePort();
  const bare = await spawnServer(
    process.execPath,
    ['--import', 'tsx', `${ROOT}/bench/src/servers/bare-express.ts`],
    {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(port) },
      isReady: (output) => output.includes('{"port"'),
    },
  );
  return { url: `http://127.0.0.1:${port}`, process: bare };
}

/** The last seq of the page one deep into the middle of the history. */
const middleSeq = (messages: number) => Math.floor(messages / 2);

function queryTargets(
  bareUrl: string,
  webUrl: string,
  reader: BenchUser,
  room: BenchRoom,
  messages: number,
): Record<TargetKey, HttpTarget> {
  const session = { authorization: `Bearer ${reader.token}` };
  const history = `/api/rooms/${encodeURIComponent(room.name)}/messages`;
  return {
    bare: { label: 'bare Express route', url: bareUrl, path: '/' },
    search: {
      label: `room search (q=${SEARCH_Q})`,
      url: webUrl,
      path: `/api/rooms?q=${SEARCH_Q}`,
      headers: session,
    },
    latest: { label: 'history, latest page', url: webUrl, path: history, headers: session },
    middle: {
      label: 'history, page in the middle',
      url: webUrl,
      path: `${history}?beforeSeq=${middleSeq(messages) + 1}`,
      headers: session,
    },
  };
}

async function getJson<T>(target: HttpTarget): Promise<T> {
  const response = await fetch(target.url + target.path, { headers: target.headers });
  if (response.status !== 200) {
    throw new Error(`${target.label}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as T;
}

/** The first page of the search is the first 20 matching names in the database's order. */
async function checkSearch(db: Db, target: HttpTarget): Promise<void> {
  const expected = await db('chat_rooms')
    .where('name', 'like', `%${SEARCH_Q}%`)
    .orderBy('name')
    .limit(20)
    .pluck<string[]>('name');
  const page = await getJson<{ rooms: { name: string }[]; nextCursor: string | null }>(target);
  const names = page.rooms.map((room) => room.name);
  if (expected.length < 20 || names.join() !== expected.join() || page.nextCursor === null) {
    throw new Error(`${target.label}: got ${names.join()}, expected ${expected.join()}`);
  }
}

/** A history page holds the 50 messages up to `lastSeq`, ascending, with their contents. */
async function checkHistory(target: HttpTarget, lastSeq: number): Promise<void> {
  const page = await getJson<{ messages: { seq: number; content: string }[] }>(target);
  const wrong =
    page.messages.length !== 50 ||
    page.messages.some(
      (message, index) =>
        message.seq !== lastSeq - 49 + index || message.content !== messageContent(message.seq),
    );
  if (wrong) {
    const seqs = page.messages.map((message) => message.seq);
    throw new Error(`${target.label}: seqs ${seqs.join()}, expected ${lastSeq - 49}..${lastSeq}`);
  }
}

/**
 * First the concurrency search of each target, then repetitions at the chosen concurrency and
 * at one connection, the targets taking turns so drift on the machine falls on all alike.
 */
async function measureTargets(
  targets: Record<TargetKey, HttpTarget>,
  plan: QueryPlan,
  serverPids: number[],
  log: (line: string) => void,
): Promise<Record<TargetKey, TargetResult>> {
  const results = {} as Record<TargetKey, TargetResult>;
  for (const [key, target] of Object.entries(targets) as [TargetKey, HttpTarget][]) {
    if (plan.warmupSeconds > 0) await measureHttp(target, 8, plan.warmupSeconds);
    const search = await searchConcurrency(
      target,
      plan.steps,
      plan.stepSeconds,
      P99_LIMIT_MS,
      serverPids,
    );
    const steps = search.windows.map(
      (window) =>
        `${window.connections}:${window.requestsPerSecond.toFixed(0)}/${window.p99Ms.toFixed(1)}ms` +
        `/${(window.serverCpu * 100).toFixed(0)}%/${(window.serverCoreBusy * 100).toFixed(0)}%`,
    );
    log(`T10 ${target.label}: conns:req/s/p99/server CPU/core 0 busy ${steps.join(' ')}`);
    results[key] = { target, search, best: [], low: [] };
  }
  for (let repetition = 0; repetition < plan.repetitions; repetition++) {
    for (const result of Object.values(results)) {
      const connections = result.search.best?.connections ?? 1;
      result.low.push(await measureHttp(result.target, 1, plan.lowSeconds, serverPids));
      const best = await measureHttp(result.target, connections, plan.bestSeconds, serverPids);
      result.best.push(best);
      log(
        `T10 ${result.target.label}: ${best.requestsPerSecond.toFixed(0)} req/s at ${connections}, ` +
          `p99 ${best.p99Ms.toFixed(1)} ms, core 0 busy ${(best.serverCoreBusy * 100).toFixed(0)}% ` +
          `(server side ${(best.serverCpu * 100).toFixed(0)}%); p99 at 1 conn ` +
          `${result.low.at(-1)!.p99Ms.toFixed(2)} ms`,
      );
    }
  }
  return results;
}

function queryRows(results: Record<TargetKey, TargetResult>, quick: boolean): Row[] {
  const bare = results.bare;
  const bareRate = summarize(bare.best.map((window) => window.requestsPerSecond));
  const keys: TargetKey[] = ['search', 'latest', 'middle'];
  return keys.map((key) => {
    const result = results[key];
    const rate = summarize(result.best.map((window) => window.requestsPerSecond));
    const bestP99 = summarize(result.best.map((window) => window.p99Ms));
    const lowP99 = summarize(result.low.map((window) => window.p99Ms));
    const ofBare = ratio(rate, bareRate);
    const isWithinLimit = result.search.best !== undefined && bestP99.median <= P99_LIMIT_MS;
    const connections = result.search.best?.connections ?? 1;
    return {
      id: `T10-${key}`,
      scenario: result.target.label,
      measured:
        `${formatSummary(rate, 0)} req/s at ${connections} conn (p99 ${formatSummary(bestP99)} ms); ` +
        `bare ${formatSummary(bareRate, 0)} at ${bare.search.best?.connections ?? 1}; ` +
        `p99 at 1 conn ${formatSummary(lowP99, 2)} ms`,
      target: `≥ 0.5 × bare req/s at p99 ≤ ${P99_LIMIT_MS} ms; p99 < ${LOW_LOAD_P99_MS} ms at 1 conn`,
      ratio: ofBare,
      pass: quick
        ? undefined
        : isWithinLimit && ofBare.median >= 0.5 && lowP99.median < LOW_LOAD_P99_MS,
      detail: {
        steps: result.search.windows,
        best: result.best,
        low: result.low,
        bare: { steps: bare.search.windows, best: bare.best, low: bare.low },
      },
    };
  });
}
