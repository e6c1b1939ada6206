import knex, { type Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases';
import { createKnexConfig, createRoomsRepository, type RoomsRepository } from '../src';

// The search answers from a walk of the next names in order when they fill the page, else from
// every match: with more rooms than one walk reads, each case below takes a different step.
const ROOMS = 30_000;

describe('room search over more rooms than one walk in name order reads', () => {
  let database: TestDatabase;
  let db: Knex;
  let rooms: RoomsRepository;
  let allNames: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = knex(createKnexConfig({ DATABASE_URL: database.url }));
    await db.migrate.latest();
    const [owner] = await db('users')
      .insert({ email: 'owner@example.org', username: 'owner', hashed_password: '!' })
      .returning<{ id: number }[]>('id');
    // "a-00001" … in name order; every 1,000th is also "…-marker", and the last 40 are "z-late-…".
    await db.raw(
      `INSERT INTO chat_rooms (name, owner_id)
       SELECT CASE WHEN i > :count - 40 THEN 'z-late-' || lpad(i::text, 5, '0')
                   WHEN i % 1000 = 0 THEN 'a-' || lpad(i::text, 5, '0') || '-marker'
                   ELSE 'a-' || lpad(i::text, 5, '0') END,
              :ownerId
       FROM generate_series(1, :count) AS i`,
      { count: ROOMS, ownerId: owner!.id },
    );
    await db.raw('VACUUM ANALYZE chat_rooms');
    rooms = createRoomsRepository(db);
    allNames = (await db('chat_rooms').orderBy('name').pluck<string[]>('name')).map(String);
  });

  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  /** What the search must answer, computed from every name. */
  const expected = (query: string, limit: number, afterName = '') =>
    allNames.filter((name) => name > afterName && name.includes(query)).slice(0, limit);

  const search = async (query: string, limit: number, afterName?: string) =>
    (await rooms.search({ query, limit, afterName })).map((room) => room.name);

  it('when matches fill the page early in name order, then it lists the first of them', async () => {
    expect(await search('a-0', 21)).toEqual(expected('a-0', 21));
  });

  it('when the matches sit after the names one walk reads, then it still finds them in order', async () => {
    const found = await search('late', 21);

    expect(found).toHaveLength(21);
    expect(found).toEqual(expected('late', 21));
  });

  it('when matches are spread thinly over every name, then it lists them all in name order', async () => {
    expect(await search('marker', 50)).toEqual(expected('marker', 50));
  });

  it('when the next page starts after a name, then it continues from there', async () => {
    const first = await search('late', 21);

    expect(await search('late', 21, first.at(-1))).toEqual(expected('late', 21, first.at(-1)));
  });

  it('when nothing matches, then the page is empty', async () => {
    expect(await search('nowhere', 21)).toEqual([]);
  });
});
