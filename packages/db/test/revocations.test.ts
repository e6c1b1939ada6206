import { randomUUID } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy';
import {
  createKnexConfig,
  createRevocationList,
  createRevokedTokensRepository,
  type RevocationList,
  type RevokedTokensRepository,
} from '../src';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3_600;

describe('the revoked tokens held in memory', () => {
  let database: TestDatabase;
  let db: Knex;
  let revokedTokens: RevokedTokensRepository;
  let userId: number;
  let list: RevocationList | undefined;
  /** Queries this test's connection pool sent, by SQL text. */
  let queries: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = knex(createKnexConfig({ DATABASE_URL: database.url }));
    await db.migrate.latest();
    db.on('query', (query: { sql: string }) => queries.push(query.sql));
    revokedTokens = createRevokedTokensRepository(db);
    const [user] = await db('users')
      .insert({ email: 'ann@example.org', username: 'ann', hashed_password: '!' })
      .returning<{ id: number }[]>('id');
    userId = user!.id;
  });

  afterEach(() => {
    list?.close();
    list = undefined;
  });

  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  /** A revocation written to the table only, as another node would, without any event here. */
  async function storeRevocation(): Promise<string> {
    const jti = randomUUID();
    await revokedTokens.revoke(db, { jti, userId, expiresAt: new Date(inAnHour() * 1000) });
    return jti;
  }

  /** isRevoked for each jti, and how many queries answering them took. */
  async function check(jtis: string[]) {
    queries = [];
    const answers = [];
    for (const jti of jtis) answers.push(await list!.isRevoked(jti));
    return { answers, queries: queries.length };
  }

  it('when it has not read the stored revocations yet, then every check asks the database', async () => {
    const stored = await storeRevocation();
    list = createRevocationList(revokedTokens);

    expect(await check([stored, randomUUID()])).toEqual({ answers: [true, false], queries: 2 });
  });

  it('when it has read them, then stored revocations and later events are answered from memory', async () => {
    const stored = await storeRevocation();
    list = createRevocationList(revokedTokens);
    await list.resync();
    const announced = randomUUID();

    list.add({ jti: announced, exp: inAnHour() });

    expect(await check([stored, announced, randomUUID()])).toEqual({
      answers: [true, true, false],
      queries: 0,
    });
  });

  it('when the feed is lost, then checks ask the database until the next read, which finds what was stored meanwhile', async () => {
    list = createRevocationList(revokedTokens);
    await list.resync();

    list.suspend();
    const storedMeanwhile = await storeRevocation();

    expect(await check([storedMeanwhile])).toEqual({ answers: [true], queries: 1 });
    await list.resync();
    expect(await check([storedMeanwhile])).toEqual({ answers: [true], queries: 0 });
  });

  it('when the feed is lost while the stored revocations are being read, then that read does not make it live', async () => {
    list = createRevocationList(revokedTokens);

    const reading = list.resync();
    list.suspend();
    await reading;
    const storedAfter = await storeRevocation();

    expect(await check([storedAfter])).toEqual({ answers: [true], queries: 1 });
  });

  it('when a revoked token has expired, then it is not kept (expiry refuses the token anyway)', async () => {
    list = createRevocationList(revokedTokens);
    await list.resync();
    const expired = randomUUID();

    list.add({ jti: expired, exp: Math.floor(Date.now() / 1000) - 1 });

    expect(await check([expired])).toEqual({ answers: [false], queries: 0 });
  });

  describe('when the database cannot be reached', () => {
    let proxy: TcpProxy;
    let proxied: Knex;

    beforeAll(async () => {
      const url = new URL(database.url);
      proxy = await startTcpProxy(Number(url.port || 5432), url.hostname);
      url.port = String(proxy.port);
      const quiet = { warn: () => undefined, error: () => undefined };
      proxied = knex(
        createKnexConfig({ DATABASE_URL: url.toString() }, { acquireTimeoutMs: 500, log: quiet }),
      );
      proxied.on('query', (query: { sql: string }) => queries.push(query.sql));
    });

    afterAll(async () => {
      await proxied.destroy();
      await proxy.close();
    });

    it('then a check fails instead of letting the token in, and the read is retried until it succeeds', async () => {
      const stored = await storeRevocation();
      const errors: unknown[] = [];
      let wake = () => {};
      const retried = new Promise<void>((resolve) => (wake = resolve));
      list = createRevocationList(createRevokedTokensRepository(proxied), {
        retryDelayMs: 50,
        onError: (error) => {
          errors.push(error);
          if (errors.length === 2) wake();
        },
      });
      await proxy.cut();

      void list.resync();
      await expect(list.isRevoked(stored)).rejects.toThrow();
      await retried;
      await proxy.restore();

      // Live again: the answer comes from memory.
      for (let attempt = 0; (await check([stored])).queries > 0; attempt++) {
        if (attempt === 100) throw new Error('not live 2 s after the database was back');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await check([stored])).toEqual({ answers: [true], queries: 0 });
      expect(errors.length).toBeGreaterThanOrEqual(2);
    });
  });
});
