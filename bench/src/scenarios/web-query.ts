// T10: what a signed-in user reads most — room search over 100,000 rooms and history pages of a
// room with 1,000,000 messages — against a bare Express route on the same core: each at the
// most req/s whose p99 stays within 50 ms, and at one request at a time.
import { createDb } from '@parley/db';
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
import { checkHistory, checkSearch } from './web-checks';
import { seedMessages, seedRooms } from './web-seed';

const P99_LIMIT_MS = 50;
const LOW_LOAD_P99_MS = 20;
/** A million rows and their VACUUM, on a server core that other work may share. */
const BULK_TIMEOUT_MS = 10 * 60_000;
/**
 * Two common substrings. "club" (one name in 30) is spread over the name order, so the first
 * names already fill a page. "ing" (one in ten: cooking, cycling, gaming, running) only starts
 * at "cooking": the search then takes its other path, collecting every match and sorting them.
 */
const SEARCHES = { search: 'club', 'search-late': 'ing' } as const;

const QUERY_PLAN = {
  full: {
    rooms: 100_000,
    messages: 1_000_000,
    repetitions: 3,
    steps: [1, 2, 4, 8, 16, 32],
    stepSeconds: 2,
    warmupSeconds: 1,
    lowSeconds: 2,
    bestSeconds: 3,
  },
  quick: {
    rooms: 2_000,
    messages: 20_000,
    repetitions: 1,
    steps: [1, 8],
    stepSeconds: 0.3,
    warmupSeconds: 0,
    lowSeconds: 0.3,
    bestSeconds: 0.3,
  },
};
type QueryPlan = typeof QUERY_PLAN.full;

type TargetKey = 'bare' | keyof typeof SEARCHES | 'latest' | 'middle';

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
    const bulk = createDb({ databaseUrl, queryTimeoutMs: BULK_TIMEOUT_MS });
    cleanups.push(() => bulk.destroy());
    const [reader] = await createUsers(db, 1, 'reader');
    const [bigRoom] = await createRooms(db, reader!.id, 1, 'history');
    await seedRooms(bulk, reader!.id, plan.rooms);
    await seedMessages(bulk, bigRoom!.id, reader!, plan.messages);
    log(`T10: seeded ${plan.rooms} rooms and ${plan.messages} messages in ${bigRoom!.name}`);

    const bare = await startBareExpress();
    cleanups.push(() => bare.process.stop());
    const web = await startWebNode({ databaseUrl, bcryptCost: 12 });
    cleanups.push(() => web.process.stop());

    const targets = queryTargets(bare.url, web.url, reader!, bigRoom!, plan.messages);
    for (const [key, q] of Object.entries(SEARCHES)) {
      await checkSearch(db, targets[key as keyof typeof SEARCHES], q);
    }
    await checkHistory(targets.latest, plan.messages);
    await checkHistory(targets.middle, middleSeq(plan.messages));
    log('T10: servers up, search results and history pages checked');
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
  const headers = { authorization: `Bearer ${reader.token}` };
  const history = `/api/rooms/${encodeURIComponent(room.name)}/messages`;
  const search = (q: string) => ({
    label: `room search, q=${q}`,
    url: webUrl,
    path: `/api/rooms?q=${q}`,
    headers,
  });
  return {
    bare: { label: 'bare Express route', url: bareUrl, path: '/' },
    search: search(SEARCHES.search),
    'search-late': search(SEARCHES['search-late']),
    latest: { label: 'history, latest page', url: webUrl, path: history, headers },
    middle: {
      label: 'history, a page in the middle',
      url: webUrl,
      path: `${history}?beforeSeq=${middleSeq(messages) + 1}`,
      headers,
    },
  };
}

const percent = (share: number) => `${(share * 100).toFixed(0)}%`;

/** "412 req/s at 8, p99 31.0 ms; core 0: bare 0%, web 61%, postgres 38%, other 1%" */
function describe(window: HttpWindow): string {
  const [bare = 0, web = 0, postgres = 0] = window.serverCpuEach;
  return (
    `${window.requestsPerSecond.toFixed(0)} req/s at ${window.connections}, ` +
    `p99 ${window.p99Ms.toFixed(1)} ms; core 0: bare ${percent(bare)}, web ${percent(web)}, ` +
    `postgres ${percent(postgres)}, other ${percent(window.serverCoreBusy - window.serverCpu)}`
  );
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
    for (const window of search.windows) log(`T10 ${target.label} (step): ${describe(window)}`);
    results[key] = { target, search, best: [], low: [] };
  }
  for (let repetition = 0; repetition < plan.repetitions; repetition++) {
    for (const result of Object.values(results)) {
      const connections = result.search.best?.connections ?? 1;
      const low = await measureHttp(result.target, 1, plan.lowSeconds, serverPids);
      const best = await measureHttp(result.target, connections, plan.bestSeconds, serverPids);
      result.low.push(low);
      result.best.push(best);
      log(`T10 ${result.target.label}: ${describe(best)}; p99 at 1 ${low.p99Ms.toFixed(2)} ms`);
    }
  }
  return results;
}

function queryRows(results: Record<TargetKey, TargetResult>, quick: boolean): Row[] {
  const bare = results.bare;
  const bareRate = summarize(bare.best.map((window) => window.requestsPerSecond));
  const bareConnections = bare.search.best?.connections ?? 1;
  const keys: TargetKey[] = ['search', 'search-late', 'latest', 'middle'];
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
        `bare ${formatSummary(bareRate, 0)} at ${bareConnections}; ` +
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
