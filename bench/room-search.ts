// Room search (GET /api/rooms?q=…&limit=20) on 100,000 rooms: `npx tsx bench/room-search.ts`.
// Creates, migrates and finally drops a database of its own; prints one line per case and shape.
import knex from 'knex';
import pg from 'pg';
import { createKnexConfig } from '@parley/db';
import { createTestDatabase } from '../test/support/databases';

const ROOM_COUNT = 100_000;
const RUNS = Number(process.env.BENCH_RUNS) || 300;
const WARMUP_RUNS = 20;

const SELECT = `r.id, r.name, r.created_at, u.id AS owner_id, u.username AS owner_username`;

/** Query shapes; $1 is the escaped q ('' when absent), $2 the cursor ('' when absent). */
const SHAPES = {
  // Exactly what server-web runs today.
  ilike: `SELECT ${SELECT} FROM chat_rooms r JOIN users u ON u.id = r.owner_id
    WHERE r.name ILIKE '%' || $1 || '%' ESCAPE '\\' AND r.name > $2 ORDER BY r.name LIMIT 21`,
  // Names are stored canonical (lower case), so a lower-cased q can use the cheaper LIKE.
  like: `SELECT ${SELECT} FROM chat_rooms r JOIN users u ON u.id = r.owner_id
    WHERE r.name LIKE '%' || $1 || '%' ESCAPE '\\' AND r.name > $2 ORDER BY r.name LIMIT 21`,
  // Every match first (trigram bitmap scan), then a top-21 sort: never walks the name order.
  'like-matches-first': `WITH matches AS MATERIALIZED (
      SELECT id, name, created_at, owner_id FROM chat_rooms
      WHERE name LIKE '%' || $1 || '%' ESCAPE '\\' AND name > $2)
    SELECT r.id, r.name, r.created_at, u.id AS owner_id, u.username AS owner_username
    FROM matches r JOIN users u ON u.id = r.owner_id ORDER BY r.name LIMIT 21`,
} as const;
type Shape = keyof typeof SHAPES;

interface SearchCase {
  label: string;
  q: string;
  cursor?: string;
}

const CASES: SearchCase[] = [
  { label: 'no q', q: '' },
  { label: 'rare', q: 'kafka-lagos' },
  { label: 'common', q: 'ing' },
  { label: 'common, page 2', q: 'ing', cursor: 'kafka' },
  { label: 'clustered late', q: 'vue' },
  { label: '2 chars, common', q: 'in' },
  { label: '1 char, common', q: 'z' },
  { label: '2 chars, none', q: 'qx' },
  { label: 'no match', q: 'zzzz' },
];

const TOPICS = `rust python golang java kotlin swift react angular vue svelte node deno linux docker
  kubernetes postgres redis kafka devops security design music movies books gaming chess football
  cycling running cooking coffee travel photo art crypto startups jobs random general offtopic`;
const QUALIFIERS = `berlin paris tokyo nyc london lagos delhi sydney help dev news beginners advanced
  fans club team meetup chat lounge support talk study hq lab ops guild crew corner hub zone`;

const words = (list: string) => `ARRAY['${list.trim().split(/\s+/).join("','")}']`;

/** Names like "rust-berlin-417", "chess_club-8", "kafka.lagos-90210": lower case, distinct. */
const INSERT_ROOMS = `
  INSERT INTO chat_rooms (name, owner_id)
  SELECT t.topic || (ARRAY['-', '_', '.'])[1 + abs(hashint4(i + 7)::bigint) % 3] || t.qualifier
         || '-' || i,
         ?
  FROM generate_series(1, ${ROOM_COUNT}) AS i,
  LATERAL (SELECT (${words(TOPICS)})[1 + abs(hashint4(i)::bigint) % 40] AS topic,
                  (${words(QUALIFIERS)})[1 + abs(hashint4(i + 1)::bigint) % 30] AS qualifier) AS t`;

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (char) => `\\${char}`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function describePlan(node: PlanNode): string {
  const indexes = new Set<string>();
  const visit = (current: PlanNode) => {
    if (current['Index Name']) indexes.add(current['Index Name']);
    current.Plans?.forEach(visit);
  };
  visit(node);
  const top = node['Node Type'] === 'Limit' && node.Plans ? node.Plans[0]! : node;
  return `${top['Node Type']} [${[...indexes].join(', ') || 'no index'}]`;
}

async function measure(client: pg.Client, shape: Shape, searchCase: SearchCase) {
  const q = shape === 'ilike' ? searchCase.q : searchCase.q.toLowerCase();
  const params = [escapeLike(q), searchCase.cursor ?? ''];
  const sql = SHAPES[shape];
  const { rowCount } = await client.query(sql, params);
  for (let run = 0; run < WARMUP_RUNS; run++) await client.query(sql, params);
  const timings: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    await client.query(sql, params);
    timings.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  timings.sort((a, b) => a - b);
  const explained = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
    params,
  );
  return {
    rows: rowCount ?? 0,
    p50: percentile(timings, 50),
    p99: percentile(timings, 99),
    plan: describePlan(explained.rows[0]!['QUERY PLAN'][0].Plan),
  };
}

async function seed(url: string): Promise<void> {
  const db = knex(createKnexConfig({ DATABASE_URL: url }));
  try {
    await db.migrate.latest();
    const [owner] = await db('users')
      .insert({ email: 'owner@example.org', username: 'owner', hashed_password: 'x' })
      .returning<{ id: number }[]>('id');
    await db.raw(INSERT_ROOMS, [owner!.id]);
    await db.raw('ANALYZE');
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  const database = await createTestDatabase('parley_bench');
  const client = new pg.Client({ connectionString: database.url });
  try {
    await seed(database.url);
    await client.connect();
    const { rows } = await client.query<{ count: number }>('SELECT count(*)::int FROM chat_rooms');
    const shapes = (process.env.BENCH_SHAPES?.split(',') ?? Object.keys(SHAPES)) as Shape[];
    console.log(`${rows[0]!.count} rooms, ${RUNS} runs per line, times in ms`);
    console.log(
      ['case', 'q', 'shape', 'matches', 'rows', 'p50', 'p99', 'plan under Limit'].join(' | '),
    );
    for (const searchCase of CASES) {
      const { rows: counted } = await client.query<{ count: number }>(
        `SELECT count(*)::int FROM chat_rooms WHERE name LIKE '%' || $1 || '%' ESCAPE '\\'`,
        [escapeLike(searchCase.q)],
      );
      for (const shape of shapes) {
        const result = await measure(client, shape, searchCase);
        const q = searchCase.cursor ? `${searchCase.q} >${searchCase.cursor}` : searchCase.q;
        const cells = [searchCase.label, q || '-', shape, counted[0]!.count, result.rows];
        const times = [result.p50, result.p99].map((ms) => ms.toFixed(2));
        console.log([...cells, ...times, result.plan].join(' | '));
      }
    }
  } finally {
    await client.end();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
