import pg from 'pg';
import { startStallProxy, type StallProxy } from '../../../test/support/stall-proxy';
import { toAppError } from '../src/app-error';

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
