import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases';
import {
  createKnexConfig,
  listenEvents,
  publishEvent,
  type CommittedEvent,
  type EventListener,
} from '../src';

const WAIT_MS = 5_000;

/** Collects events; `next(n)` resolves with the first n received, or rejects after WAIT_MS. */
function createInbox() {
  const received: CommittedEvent[] = [];
  let wake = () => {};
  return {
    received,
    push: (event: CommittedEvent) => {
      received.push(event);
      wake();
    },
    next: (count: number): Promise<CommittedEvent[]> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} events, got ${received.length}`)),
          WAIT_MS,
        );
        wake = () => {
          if (received.length < count) return;
          clearTimeout(timer);
          resolve(received.slice(0, count));
        };
        wake();
      }),
  };
}

function signal(description: string) {
  let fire = () => {};
  const fired = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${description}`)),
      WAIT_MS,
    );
    fire = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { fire, fired };
}

const roomDeleted = (roomName: string): CommittedEvent => ({
  type: 'room_deleted',
  roomId: 1,
  roomName,
});

describe('committed events over PostgreSQL NOTIFY', () => {
  // A database of its own: other suites publish on the same channel in the shared one.
  let database: TestDatabase;
  let db: Knex;
  let listener: EventListener | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = knex(createKnexConfig({ DATABASE_URL: database.url }));
  });

  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('when transactions commit or roll back, then the listener receives exactly the committed events in commit order', async () => {
    const inbox = createInbox();
    listener = await listenEvents({ databaseUrl: database.url, onEvent: inbox.push });
    const first = await db.transaction();
    const second = await db.transaction();
    const rolledBack = await db.transaction();

    await publishEvent(first, roomDeleted('first-a'));
    await publishEvent(second, roomDeleted('second-a'));
    await publishEvent(rolledBack, roomDeleted('rolled-back'));
    await publishEvent(first, roomDeleted('first-b'));
    await second.commit();
    await rolledBack.rollback();
    await first.commit();
    // Delivered after everything above: once it is in, nothing earlier can still arrive.
    await publishEvent(db, roomDeleted('sentinel'));

    const events = await inbox.next(4);
    expect(events.map((event) => (event.type === 'room_deleted' ? event.roomName : ''))).toEqual([
      'second-a',
      'first-a',
      'first-b',
      'sentinel',
    ]);
    expect(inbox.received).toHaveLength(4);
  });

  it('when the server terminates the listening connection, then the listener reconnects, says so and receives later events', async () => {
    const applicationName = `parley-events-test-${randomBytes(4).toString('hex')}`;
    const inbox = createInbox();
    const reconnected = signal('onReconnect');
    const errors: unknown[] = [];
    listener = await listenEvents({
      databaseUrl: database.url,
      applicationName,
      retryDelayMs: 20,
      onEvent: inbox.push,
      onReconnect: reconnected.fire,
      onError: (error) => errors.push(error),
    });

    const { rows } = await db.raw<{ rows: { pid: number; terminated: boolean }[] }>(
      `SELECT pid, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
       WHERE application_name = ? AND datname = current_database()`,
      [applicationName],
    );
    await reconnected.fired;
    await publishEvent(db, roomDeleted('after-reconnect'));

    expect(rows).toEqual([{ pid: expect.any(Number) as number, terminated: true }]);
    expect(await inbox.next(1)).toEqual([roomDeleted('after-reconnect')]);
    expect(errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: '57P01' }) as unknown]),
    );
    const listening = await db.raw<{ rows: { pid: number }[] }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = ? AND query ILIKE 'LISTEN%'`,
      [applicationName],
    );
    expect(listening.rows).toHaveLength(1);
    expect(listening.rows[0]!.pid).not.toBe(rows[0]!.pid);
  });
});
