import knex, { type Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases';
import {
  createKnexConfig,
  createSharedDataAccess,
  listenEvents,
  type CommittedEvent,
  type EventListener,
  type SharedDataAccess,
} from '../src';

const NOTIFY_LIMIT_BYTES = 8_000;

describe('the chat group commit in one statement (writeBatch)', () => {
  let database: TestDatabase;
  let db: Knex;
  let data: SharedDataAccess;
  let listener: EventListener;
  const events: CommittedEvent[] = [];
  const payloadBytes: number[] = [];
  let userId: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = knex(createKnexConfig({ DATABASE_URL: database.url }));
    await db.migrate.latest();
    data = createSharedDataAccess(db);
    const [user] = await db('users')
      .insert({ email: 'ann@example.org', username: 'ann', hashed_password: '!' })
      .returning<{ id: number }[]>('id');
    userId = user!.id;
    listener = await listenEvents({
      databaseUrl: database.url,
      onEvent: (event) => {
        events.push(event);
        payloadBytes.push(Buffer.byteLength(JSON.stringify(event)));
      },
    });
  });

  afterAll(async () => {
    await listener.close();
    await db.destroy();
    await database.drop();
  });

  const createRoom = async (name: string) =>
    (
      await db('chat_rooms').insert({ name, owner_id: userId }).returning<{ id: number }[]>('id')
    )[0]!.id;

  it('when a batch spans rooms and overflows one NOTIFY, then each room gets events under the limit, in seq order, with the stored messages, and a too-large one by seq only', async () => {
    const [big, small] = [await createRoom('big'), await createRoom('small')];
    const draft = (roomId: number, content: string, clientId: string | null) => ({
      roomId,
      userId,
      username: 'ann',
      content,
      clientId,
    });
    const drafts = [
      ...Array.from({ length: 20 }, (_, i) => draft(big, `${i} `.padEnd(1_000, 'é'), `b${i}`)),
      draft(small, 'hello', null),
      draft(big, '👋'.repeat(4_000), 'huge'), // 16,000 bytes: no payload can carry it
      draft(big, 'after the huge one', 'b-last'),
    ];

    const outcomes = await data.messages.writeBatch(drafts);

    expect(outcomes.map((o) => o.outcome)).toEqual(drafts.map(() => 'new'));
    const stored = await data.messages.history(big, { limit: 50 });
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    // The acks carry exactly what history shows later (same timestamp text).
    const acked = outcomes.flatMap((o) => ('message' in o ? [o.message] : []));
    expect(acked.filter((m) => m.roomId === big)).toEqual(stored);

    const sentinel = await createRoom('sentinel');
    await data.messages.writeBatch([draft(sentinel, 'last', null)]);
    await waitFor(() => events.some((e) => e.type === 'messages_created' && e.roomId === sentinel));
    const bigEvents = events.filter((e) => e.type === 'messages_created' && e.roomId === big);
    expect(bigEvents.length).toBeGreaterThan(2);
    expect(Math.max(...payloadBytes)).toBeLessThan(NOTIFY_LIMIT_BYTES);
    const announced = bigEvents.flatMap((e) => (e.type === 'messages_created' ? e.messages : []));
    expect(announced).toEqual(stored.filter((m) => m.clientId !== 'huge'));
    expect(bigEvents.map((e) => (e.type === 'messages_created' ? e.lastSeq : 0))).toContain(21);
    expect(bigEvents.at(-1)).toMatchObject({ roomName: 'big', lastSeq: 22 });
  });

  it('when a clientId comes again, in the same batch or later, and a room is gone, then the original is returned and nothing is stored twice', async () => {
    const room = await createRoom('retries');
    const draft = (clientId: string | null, roomId = room) => ({
      roomId,
      userId,
      username: 'ann',
      content: `content of ${clientId}`,
      clientId,
    });

    const first = await data.messages.writeBatch([draft('a'), draft('a'), draft(null), draft('b')]);
    const second = await data.messages.writeBatch([draft('b'), draft('c'), draft('x', 999_999)]);

    expect(first.map((o) => o.outcome)).toEqual(['new', 'repeat', 'new', 'new']);
    expect(second.map((o) => o.outcome)).toEqual(['repeat', 'new', 'room_gone']);
    const messageOf = (o: (typeof first)[number]) => ('message' in o ? o.message : undefined);
    expect(messageOf(first[1]!)).toEqual(messageOf(first[0]!));
    expect(messageOf(second[0]!)).toEqual(messageOf(first[3]!));
    const stored = await data.messages.history(room, { limit: 50 });
    expect(stored.map((m) => [m.seq, m.clientId])).toEqual([
      [1, 'a'],
      [2, null],
      [3, 'b'],
      [4, 'c'],
    ]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
