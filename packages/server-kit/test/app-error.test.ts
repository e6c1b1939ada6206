import pg from 'pg';
import { admin, createTestDatabase, type TestDatabase } from '../../../test/support/databases';
import { startStallProxy, type StallProxy } from '../../../test/support/stall-proxy';
import { AppError, ackErrorOf, toAppError } from '../src/app-error';

// A database host that stops answering: what pg rejects with when it gives up connecting must
// reach clients as the contract's 503 `unavailable`, not as 500 `internal`.
describe('toAppError for a database that does not answer', () => {
  let silent: StallProxy;
  let databaseUrl: URL;
  beforeAll(async () => {
    const database = new URL(process.env.TEST_DATABASE_URL!);
    silent = await startStallProxy(Number(database.port || 5432), database.hostname);
    silent.stall();
    databaseUrl = new URL(database.toString());
    databaseUrl.port = String(silent.port);
  });
  afterAll(() => silent.close());

  test('when a client gives up connecting (connectionTimeoutMillis), then it is unavailable', async () => {
    const client = new pg.Client({
      connectionString: databaseUrl.toString(),
      connectionTimeoutMillis: 200,
    });
    const error = await client.connect().then(
      () => undefined,
      (rejection: unknown) => rejection,
    );

    expect(error).toBeDefined();
    expect(toAppError(error).code).toBe('unavailable');
  });

  test('when a pool gives up connecting, then it is unavailable', async () => {
    const pool = new pg.Pool({
      connectionString: databaseUrl.toString(),
      connectionTimeoutMillis: 200,
    });
    try {
      const error = await pool.query('SELECT 1').then(
        () => undefined,
        (rejection: unknown) => rejection,
      );

      expect(error).toBeDefined();
      expect(toAppError(error).code).toBe('unavailable');
    } finally {
      await pool.end();
    }
  });
});

// What PostgreSQL answers a new session when the database cannot be used: each is the contract's
// 503 `unavailable` ("e.g. database down"), not a 500.
describe('toAppError for a database that refuses new sessions', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('parley_refusing');
  });
  afterAll(() => database.drop());

  const connectError = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    return client.connect().then(
      async () => {
        await client.end();
        return undefined;
      },
      (rejection: unknown) => rejection,
    );
  };

  test('when the database does not accept connections (55000), then it is unavailable', async () => {
    const allowConnections = (isAllowed: boolean) =>
      admin((client) =>
        client.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS ${isAllowed}`),
      );
    await allowConnections(false);
    try {
      const error = await connectError(database.url);

      expect((error as { code?: string }).code).toBe('55000');
      expect(toAppError(error).code).toBe('unavailable');
    } finally {
      await allowConnections(true);
    }
  });

  test('when the database is gone (3D000), then it is unavailable', async () => {
    const error = await connectError(`${database.url}_gone`);

    expect((error as { code?: string }).code).toBe('3D000');
    expect(toAppError(error).code).toBe('unavailable');
  });

  test('when the role is refused (class 28), then it is unavailable', async () => {
    const url = new URL(database.url);
    url.username = 'parley_no_such_role';
    const error = await connectError(url.toString());

    expect((error as { code?: string }).code).toMatch(/^28/);
    expect(toAppError(error).code).toBe('unavailable');
  });
});

describe('ackErrorOf', () => {
  test("when the failure is ours (internal), then the ack says unavailable, one of the contract's ack codes, so clients retry", () => {
    const ack = ackErrorOf(toAppError(new TypeError('a bug')));

    expect(ack.code).toBe('unavailable');
  });

  test('when the error is one the contract names, then the ack carries it unchanged', () => {
    const ack = ackErrorOf(new AppError('rate_limited', 'Slow down'));

    expect(ack).toEqual({ code: 'rate_limited', message: 'Slow down' });
  });
});
