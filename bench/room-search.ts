// Room search (GET /api/rooms?q=…&limit=20) on 100,000 rooms: `npx tsx bench/room-search.ts`.
// Creates, migrates and finally drops a database of its own. The shapes of a case run interleaved,
// so load from other processes on the machine falls on all of them alike.
import knex from 'knex';
import pg from 'pg';
import { createKnexConfig, createRoomsRepository } from '@parley/db';
import { createTestDatabase } from '../test/support/databases';

const ROOM_COUNT = 100_000;
const RUNS = Number(process.env.BENCH_RUNS) || 200;
const WARMUP_RUNS = 20;

const SELECT = `r.id, r.name, r.created_at, u.id AS owner_id, u.username AS owner_username`;
const LIKE_Q = `LIKE '%' || $1 || '%' ESCAPE '\\'`;

const MATCHES_FIRST = `WITH matches AS MATERIALIZED (
    SELECT id, name, created_at, owner_id FROM chat_rooms WHERE name ${LIKE_Q} AND name > $2)
  SELECT ${SELECT} FROM matches r JOIN users u ON u.id = r.owner_id ORDER BY r.name LIMIT 21`;

/**
 * Query shapes, each one or more statements tried in turn until one fills the page (21 rows);
 * $1 is the escaped q ('' when absent), $2 the cursor ('' when absent).
 */
const SHAPES = {
  // Exactly what server-web runs today.
  ilike: [
    `SELECT ${SELECT} FROM chat_rooms r JOIN users u ON u.id = r.owner_id
     WHERE r.name ILIKE '%' || $1 || '%' ESCAPE '\\' AND r.name > $2 ORDER BY r.name LIMIT 21`,
  ],
  // Names are stored canonical (lower case), so a lower-cased q can use the cheaper LIKE.
  like: [
    `SELECT ${SELECT} FROM chat_rooms r JOIN users u ON u.id = r.owner_id
     WHERE r.name ${LIKE_Q} AND r.name > $2 ORDER BY r.name LIMIT 21`,
  ],
  // Every match first (trigram bitmap scan), then a top-21 sort: never walks the name order.
  'matches-first': [MATCHES_FIRST],
} as const;
type Shape = keyof typeof SHAPES;
const ALL_SHAPES = Object.keys(SHAPES) as Shape[];

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
  { label: '3 chars, no trigram', q: 'e-1' },
  { label: '2 chars, common', q: 'in' },
  { label: '1 char, common', q: 'z' },
  { label: '2 chars, clustered', q: 'vu' },
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
  Filter?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/** "<top node under Limit> <- <the scan that applies the LIKE> (<its index>)". */
function describePlan(root: PlanNode): string {
  const matchingScans: string[] = [];
  const visit = (node: PlanNode) => {
    if (`${node.Filter ?? ''} ${node['Index Cond'] ?? ''}`.includes('~~')) {
      const index = node['Index Name'] ? ` (${node['Index Name']})` : '';
      matchingScans.push(`${node['Node Type']}${index}`);
    }
    node.Plans?.forEach(visit);
  };
  visit(root);
  const top = root['Node Type'] === 'Limit' && root.Plans ? root.Plans[0]! : root;
  return `${top['Node Type']} <- ${matchingScans.join(', ')}`;
}

function paramsFor(shape: Shape, searchCase: SearchCase): string[] {
  // ILIKE gets q as typed; the LIKE shapes lower-case it as room names are stored lower-cased.
  const q = shape === 'ilike' ? searchCase.q : searchCase.q.normalize('NFC').toLowerCase();
  return [escapeLike(q), searchCase.cursor ?? ''];
}

/** Runs the shape's statements until one fills the page; the last one answers regardless. */
async function runShape(client: pg.Client, shape: Shape, params: string[]) {
  const statements = SHAPES[shape];
  for (let step = 0; ; step++) {
    const { rowCount } = await client.query(statements[step]!, params);
    if (rowCount === 21 || step === statements.length - 1) return { step, rowCount: rowCount ?? 0 };
  }
}

/** Times every shape on one case, one run of each shape after the other, `RUNS` times. */
async function measureCase(client: pg.Client, searchCase: SearchCase, shapes: Shape[]) {
  const timings = new Map(shapes.map((shape) => [shape, [] as number[]]));
  for (let run = -WARMUP_RUNS; run < RUNS; run++) {
    for (const shape of shapes) {
      const started = process.hrtime.bigint();
      await runShape(client, shape, paramsFor(shape, searchCase));
      if (run >= 0) timings.get(shape)!.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const lines: string[][] = [];
  for (const shape of shapes) {
    const params = paramsFor(shape, searchCase);
    const { step, rowCount } = await runShape(client, shape, params);
    const explained = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${SHAPES[shape][step]}`,
      params,
    );
    const sorted = timings.get(shape)!.sort((a, b) => a - b);
    lines.push([
      shape,
      String(rowCount),
      percentile(sorted, 50).toFixed(2),
      percentile(sorted, 99).toFixed(2),
      (step > 0 ? `(step ${step + 1}) ` : '') +
        describePlan(explained.rows[0]!['QUERY PLAN'][0].Plan),
    ]);
  }
  return lines;
}

async function printTable(client: pg.Client, cases: SearchCase[], shapes: Shape[]) {
  const table = [['case', 'q', 'matches', 'shape', 'rows', 'p50', 'p99', 'plan']];
  for (const searchCase of cases) {
    const { rows } = await client.query<{ count: number }>(
      `SELECT count(*)::int FROM chat_rooms WHERE name LIKE '%' || $1 || '%' ESCAPE '\\'`,
      [escapeLike(searchCase.q)],
    );
    const q = (searchCase.q || '-') + (searchCase.cursor ? ` >${searchCase.cursor}` : '');
    for (const line of await measureCase(client, searchCase, shapes)) {
      table.push([searchCase.label, q, String(rows[0]!.count), ...line]);
    }
  }
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  for (const row of table) {
    process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')}\n`);
  }
}

/** The product's own search (rooms.repository.ts), as GET /api/rooms runs it, on every case. */
async function printProductTable(url: string, cases: SearchCase[]) {
  const db = knex(createKnexConfig({ DATABASE_URL: url }));
  const rooms = createRoomsRepository(db);
  process.stdout.write('\nrooms.repository search (what GET /api/rooms runs):\n');
  try {
    for (const searchCase of cases) {
      const query = {
        query: searchCase.q.normalize('NFC').toLowerCase() || undefined,
        afterName: searchCase.cursor,
        limit: 21,
      };
      const timings: number[] = [];
      for (let run = -WARMUP_RUNS; run < RUNS; run++) {
        const started = process.hrtime.bigint();
        await rooms.search(query);
        if (run >= 0) timings.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      timings.sort((a, b) => a - b);
      const q = (searchCase.q || '-') + (searchCase.cursor ? ` >${searchCase.cursor}` : '');
      process.stdout.write(
        `${searchCase.label.padEnd(28)} ${q.padEnd(16)} p50 ${percentile(timings, 50).toFixed(2)} ms` +
          `  p99 ${percentile(timings, 99).toFixed(2)} ms\n`,
      );
    }
  } finally {
    await db.destroy();
  }
}

async function seed(url: string): Promise<void> {
  const db = knex(createKnexConfig({ DATABASE_URL: url }));
  try {
    await db.migrate.latest();
    const [owner] = await db('users')
      .insert({ email: 'owner@example.org', username: 'owner', hashed_password: 'x' })
      .returning<{ id: number }[]>('id');
    await db.raw(INSERT_ROOMS, [owner!.id]);
    // Flushes the GIN pending list and sets the visibility map, as autovacuum would in production.
    await db.raw('VACUUM ANALYZE');
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
    process.stdout.write(
      `${rows[0]!.count} rooms, ${RUNS} runs per line, times in ms (single query shapes)\n`,
    );
    await printTable(client, CASES, ALL_SHAPES);
    await printProductTable(database.url, CASES);
  } finally {
    await client.end();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
