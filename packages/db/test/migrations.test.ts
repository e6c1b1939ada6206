import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases';
import { createKnexConfig, FolderMigrationSource } from '../src';

const KNEX_TABLES = ['knex_migrations', 'knex_migrations_lock'];
const OUR_TABLES = ['chat_rooms', 'messages', 'revoked_tokens', 'users'];

async function migrationNames(): Promise<string[]> {
  const source = new FolderMigrationSource();
  return (await source.getMigrations()).map((file) => source.getMigrationName(file));
}

async function publicTables(db: Knex): Promise<string[]> {
  const rows = await db('information_schema.tables')
    .where({ table_schema: 'public' })
    .orderBy('table_name')
    .pluck<string[]>('table_name');
  return rows;
}

type MigrateResult = [number, string[]];

describe('migrations on a database of their own', () => {
  let database: TestDatabase;
  let db: Knex;

  beforeEach(async () => {
    database = await createTestDatabase();
    db = knex(createKnexConfig({ DATABASE_URL: database.url }));
  });

  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  it('when latest runs on an empty database, then it applies every migration and a second run applies nothing', async () => {
    const [, applied] = (await db.migrate.latest()) as MigrateResult;
    const [, appliedAgain] = (await db.migrate.latest()) as MigrateResult;

    expect(applied).toEqual(await migrationNames());
    expect(applied).toEqual(
      expect.arrayContaining([
        '20261126000100_create_users',
        '20261126000200_create_chat_rooms',
        '20261126000300_create_messages',
        '20261126000400_create_revoked_tokens',
      ]),
    );
    expect(appliedAgain).toEqual([]);
    expect(await publicTables(db)).toEqual(expect.arrayContaining([...OUR_TABLES, ...KNEX_TABLES]));
  });

  it('when every migration is rolled back, then none of our tables remain and latest works again', async () => {
    const [, applied] = (await db.migrate.latest()) as MigrateResult;

    const [, reverted] = (await db.migrate.rollback(undefined, true)) as MigrateResult;
    const tablesAfterRollback = await publicTables(db);
    const [, reapplied] = (await db.migrate.latest()) as MigrateResult;

    expect([...reverted].sort()).toEqual(applied);
    expect(tablesAfterRollback).toEqual(KNEX_TABLES);
    expect(reapplied).toEqual(applied);
    expect(await publicTables(db)).toEqual(expect.arrayContaining(OUR_TABLES));
  });
});

describe('schema on a migrated database', () => {
  let db: Knex;

  beforeAll(() => {
    db = knex(createKnexConfig({ DATABASE_URL: process.env.TEST_DATABASE_URL }));
  });

  afterAll(async () => {
    await db.destroy();
  });

  const unique = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

  async function insertUser(username = unique('user')): Promise<number> {
    const [row] = await db('users')
      .insert({ email: `${username}@example.org`, username, hashed_password: 'x' })
      .returning<{ id: number }[]>('id');
    return row!.id;
  }

  async function insertRoom(name = unique('room')): Promise<number> {
    const [row] = await db('chat_rooms')
      .insert({ name, owner_id: await insertUser() })
      .returning<{ id: number }[]>('id');
    return row!.id;
  }

  async function insertMessage(
    roomId: number,
    seq: number,
    clientId: string | null = null,
    userId: number | null = null,
  ): Promise<void> {
    await db('messages').insert({
      room_id: roomId,
      seq,
      user_id: userId,
      username: 'someone',
      content: `message ${seq}`,
      client_id: clientId,
    });
  }

  it('when a second user has the same email in another case, then the insert is a unique violation', async () => {
    const local = unique('Mail');
    await db('users').insert({
      email: `${local}@X.org`,
      username: unique('a'),
      hashed_password: 'x',
    });

    const insert = db('users').insert({
      email: `${local.toLowerCase()}@x.ORG`,
      username: unique('b'),
      hashed_password: 'x',
    });

    await expect(insert).rejects.toMatchObject({
      code: '23505',
      constraint: 'users_email_lower_unique',
    });
    expect(await db('users').whereRaw('lower(email) = lower(?)', [`${local}@x.org`])).toHaveLength(
      1,
    );
  });

  it('when a second user has the same username in another case, then the insert is a unique violation', async () => {
    const username = unique('Ann');
    await db('users').insert({ email: `${unique('a')}@x.org`, username, hashed_password: 'x' });

    const insert = db('users').insert({
      email: `${unique('b')}@x.org`,
      username: username.toUpperCase(),
      hashed_password: 'x',
    });

    await expect(insert).rejects.toMatchObject({
      code: '23505',
      constraint: 'users_username_lower_unique',
    });
  });

  it('when usernames differ only in the case of non-ASCII letters, then the insert is a unique violation', async () => {
    const suffix = randomBytes(4).toString('hex');
    await db('users').insert({
      email: `${unique('a')}@x.org`,
      username: `ĐẶNG-${suffix}`,
      hashed_password: 'x',
    });

    const insert = db('users').insert({
      email: `${unique('b')}@x.org`,
      username: `đặng-${suffix}`,
      hashed_password: 'x',
    });

    await expect(insert).rejects.toMatchObject({
      code: '23505',
      constraint: 'users_username_lower_unique',
    });
  });

  it('when a second room takes an existing name, then the insert is a unique violation', async () => {
    const name = unique('general');
    await insertRoom(name);

    await expect(insertRoom(name)).rejects.toMatchObject({
      code: '23505',
      constraint: 'chat_rooms_name_unique',
    });
  });

  it('when a room is deleted, then its messages are deleted with it', async () => {
    const roomId = await insertRoom();
    const otherRoomId = await insertRoom();
    await insertMessage(roomId, 1);
    await insertMessage(roomId, 2);
    await insertMessage(otherRoomId, 1);

    await db('chat_rooms').where({ id: roomId }).delete();

    expect(await db('messages').where({ room_id: roomId })).toHaveLength(0);
    expect(await db('messages').where({ room_id: otherRoomId })).toHaveLength(1);
  });

  it('when a room gets a second message with the same seq, then the insert is a unique violation', async () => {
    const roomId = await insertRoom();
    const otherRoomId = await insertRoom();
    await insertMessage(roomId, 1);
    await insertMessage(otherRoomId, 1);

    await expect(insertMessage(roomId, 1)).rejects.toMatchObject({
      code: '23505',
      constraint: 'messages_room_id_seq_unique',
    });
  });

  it('when a sender reuses a client_id in a room, then the insert is a unique violation, but NULL client_ids never collide', async () => {
    const roomId = await insertRoom();
    const userId = await insertUser();
    await insertMessage(roomId, 1, 'client-1', userId);

    await expect(insertMessage(roomId, 2, 'client-1', userId)).rejects.toMatchObject({
      code: '23505',
      constraint: 'messages_room_id_user_id_client_id_unique',
    });
    await insertMessage(roomId, 3, null, userId);
    await insertMessage(roomId, 4, null, userId);
    await insertMessage(roomId, 5, 'client-1', await insertUser());
    expect(await db('messages').where({ room_id: roomId }).orderBy('seq').pluck('seq')).toEqual([
      1, 3, 4, 5,
    ]);
  });

  it('then the named indexes exist with the expected shape', async () => {
    const rows = await db('pg_indexes')
      .where({ schemaname: 'public' })
      .select<{ indexname: string; indexdef: string }[]>('indexname', 'indexdef');
    const definitions = new Map(rows.map((row) => [row.indexname, row.indexdef]));

    expect(definitions.get('chat_rooms_name_trgm_index')).toMatch(
      /USING gin \(name gin_trgm_ops\)/,
    );
    expect(definitions.get('messages_room_id_seq_unique')).toMatch(
      /UNIQUE INDEX .* USING btree \(room_id, seq\)/,
    );
    expect([...definitions.keys()]).toEqual(
      expect.arrayContaining([
        'users_email_lower_unique',
        'users_username_lower_unique',
        'chat_rooms_name_unique',
        'chat_rooms_owner_id_index',
        'messages_room_id_user_id_client_id_unique',
        'messages_user_id_index',
        'revoked_tokens_expires_at_index',
      ]),
    );
  });
});
