import knex, { type Knex } from 'knex';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases';
import { batchParameters, createKnexConfig, WRITE_BATCH_STATEMENT, type RoomDraft } from '../src';

// The chat writer keeps one connection for as long as the node runs, and PostgreSQL keeps the
// plans of parley_write_messages for as long as that connection lives: plans made for the table
// as it was at the first batch. A batch must still touch a handful of pages once the table has
// grown, or every batch reads every message ever written.
const GROWN_TO = 100_000;

describe('a writer connection that lives while the messages table grows', () => {
  let database: TestDatabase;
  let db: Knex;
  let userId: number;
  let roomIds: number[];
  let clientCount = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = knex(createKnexConfig({ DATABASE_URL: database.url }));
    await db.migrate.latest();
    const [user] = await db('users')
      .insert({ email: 'ann@example.org', username: 'ann', hashed_password: '!' })
      .returning<{ id: number }[]>('id');
    userId = user!.id;
    const rooms = await db('chat_rooms')
      .insert(Array.from({ length: 10 }, (_, i) => ({ name: `room-${i}`, owner_id: userId })))
      .returning<{ id: number }[]>('id');
    roomIds = rooms.map((room) => room.id);
  });

  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  const drafts = (count: number): RoomDraft[] =>
    Array.from({ length: count }, (_, i) => ({
      roomId: roomIds[i % roomIds.length]!,
      userId,
      username: 'ann',
      content: 'hello',
      clientId: `c${++clientCount}`,
    }));

  /** One session, the statement prepared once, as the chat writer runs it. */
  async function writerSession() {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const write = (batch: RoomDraft[]) =>
      client.query({ name: 'write', text: WRITE_BATCH_STATEMENT, values: batchParameters(batch) });
    return { client, write };
  }

  /** Writes `count` messages the way a busy room would have, through another connection. */
  async function growTable(count: number) {
    await db.raw(
      `INSERT INTO messages (room_id, seq, user_id, username, content, client_id)
       SELECT r.id, r.last_seq + g, :userId, 'ann', 'earlier', 'grown-' || r.id || '-' || g
       FROM chat_rooms r CROSS JOIN generate_series(1, :perRoom) g`,
      { userId, perRoom: count / roomIds.length },
    );
    await db.raw('UPDATE chat_rooms SET last_seq = last_seq + ?', [count / roomIds.length]);
  }

  /** Shared buffers one batch touches, from the plan auto_explain reports for it. */
  async function pagesTouchedByBatch(session: Awaited<ReturnType<typeof writerSession>>) {
    const plans: string[] = [];
    session.client.on('notice', (notice) => plans.push(notice.message ?? ''));
    await session.client.query(`LOAD 'auto_explain'`);
    await session.client.query(
      `SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on;
       SET auto_explain.log_buffers = on; SET auto_explain.log_level = 'notice'`,
    );
    const { rows } = await session.write(drafts(5));
    const plan = plans.find((text) => text.includes('parley_write_messages'));
    const [, hit, read] = /Buffers: shared hit=(\d+)(?: read=(\d+))?/.exec(plan ?? '') ?? [];
    return { written: rows.length, pages: Number(hit) + Number(read ?? 0) };
  }

  const tablePages = async () =>
    Number(
      (
        await db.raw<{ rows: { pages: string }[] }>(
          `SELECT pg_relation_size('messages') / current_setting('block_size')::int AS pages`,
        )
      ).rows[0]!.pages,
    );

  it('when a connection made its first batch on a new install and the table then grew, then a batch still touches a handful of pages', async () => {
    const session = await writerSession();
    try {
      await session.write(drafts(5));

      await growTable(GROWN_TO);
      const { written, pages } = await pagesTouchedByBatch(session);

      expect(written).toBe(5);
      // Reading the table, as the plan made for an empty one did, would touch every page.
      expect(pages).toBeLessThan((await tablePages()) / 4);
    } finally {
      await session.client.end();
    }
  });
});
