import type { Message } from '@parley/contracts';
import type { CommittedEvent, MessageRow } from '@parley/db';
import { startWebApp, uniqueName, type WebApp } from '../../test/support/web-app';
import { eventsUntilMarker, openEventInbox, type EventInbox } from './event-inbox';
import {
  api,
  createRoom,
  messagesPath,
  postMessage,
  signUp,
  type Account,
  type ApiClient,
} from './rest-client';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let app: WebApp;
beforeAll(async () => {
  app = await startWebApp();
});
afterAll(() => app.close());

async function signedIn(target: WebApp = app): Promise<{ account: Account; client: ApiClient }> {
  const account = await signUp(target);
  return { account, client: api(target, account.cookie) };
}

const rowsOf = (target: WebApp, roomId: number) =>
  target.deps.db<MessageRow>('messages').where({ room_id: roomId }).orderBy('seq');
const lastSeqOf = async (target: WebApp, roomId: number) =>
  (await target.deps.db('chat_rooms').where({ id: roomId }).first<{ last_seq: number }>('last_seq'))
    .last_seq;
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);
const seqsOf = (messages: { seq: number }[] | undefined) => (messages ?? []).map((m) => m.seq);

/**
 * A new room holding `count` messages, ordered by seq. Sent 20 at a time: one room's writers queue
 * on its row lock, and a larger crowd would wait on the connection pool for no benefit.
 */
async function roomWithMessages(count: number) {
  const { client } = await signedIn();
  const room = await createRoom(client);
  const sent: Message[] = [];
  for (let from = 1; from <= count; from += 20) {
    const batch = range(from, Math.min(from + 19, count));
    sent.push(...(await Promise.all(batch.map((n) => postMessage(client, room.name, `m${n}`)))));
  }
  return { client, room, messages: sent.sort((a, b) => a.seq - b.seq) };
}

describe('posting a message', () => {
  it.each([
    ['the content holds a NUL character', { content: 'a\u0000b' }],
    ['the content holds half of a surrogate pair', { content: 'a\uD83Db' }],
    ['the clientId holds a NUL character', { content: 'hello', clientId: 'p\u0000x' }],
    ['the clientId holds half of a surrogate pair', { content: 'hello', clientId: 'id-\uD800' }],
  ])('when %s, then 400 validation_failed and nothing is stored', async (_label, body) => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const response = await client.post(messagesPath(room.name), body);

    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe('validation_failed');
    expect(await rowsOf(app, room.id)).toHaveLength(0);
  });

  it('when two clientIds differ only in half of a surrogate pair, then neither message is taken for the other', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const first = await client.post(messagesPath(room.name), {
      content: 'first',
      clientId: 'id-\uD800',
    });
    const second = await client.post(messagesPath(room.name), {
      content: 'second',
      clientId: 'id-\uD801',
    });

    expect([first.status, second.status]).toEqual([400, 400]);
    expect(await rowsOf(app, room.id)).toHaveLength(0);
  });

  it('when the room name in the path is malformed percent-encoding, then 400 validation_failed', async () => {
    const { account } = await signedIn();

    const response = await fetch(`${app.url}/api/rooms/%E0%A4%A/messages`, {
      headers: { cookie: account.cookie },
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'validation_failed',
    );
  });

  it('when a member posts a message, then it answers 201 with the message and stores it as seq 1', async () => {
    const { account, client } = await signedIn();
    const room = await createRoom(client);

    const response = await client.post(messagesPath(room.name), {
      content: 'hello',
      clientId: 'c-1',
    });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      message: {
        id: expect.any(Number) as number,
        roomId: room.id,
        seq: 1,
        username: account.user.username,
        content: 'hello',
        timestamp: expect.stringMatching(ISO_UTC) as string,
        clientId: 'c-1',
      },
    });
    const rows = await rowsOf(app, room.id);
    expect(rows).toEqual([
      expect.objectContaining({
        id: response.body.message!.id,
        seq: 1,
        user_id: account.user.id,
        username: account.user.username,
        content: 'hello',
        client_id: 'c-1',
      }),
    ]);
    expect(rows[0]!.timestamp.toISOString()).toBe(response.body.message!.timestamp);
    expect(await lastSeqOf(app, room.id)).toBe(1);
  });

  it('when the content has surrounding whitespace, then it is trimmed before it is stored', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const response = await client.post(messagesPath(room.name), { content: ' \n  hi there \t ' });

    expect(response.status).toBe(201);
    expect(response.body.message!.content).toBe('hi there');
    expect((await rowsOf(app, room.id)).map((row) => row.content)).toEqual(['hi there']);
  });

  it('when the content looks like HTML, then it is stored and returned verbatim', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);
    const content = '<img src=x onerror=alert(1)> &amp; "quotes" \'single\'';

    const posted = await client.post(messagesPath(room.name), { content });
    const history = await client.get(messagesPath(room.name));

    expect(posted.status).toBe(201);
    expect(posted.headers.get('content-type')).toMatch(/^application\/json/);
    expect(posted.body.message!.content).toBe(content);
    expect(history.body.messages!.map((message) => message.content)).toEqual([content]);
    expect((await rowsOf(app, room.id)).map((row) => row.content)).toEqual([content]);
  });

  it('when the content is 4000 emoji (8000 UTF-16 units), then it is accepted whole', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);
    const content = '😀'.repeat(4000);

    const response = await client.post(messagesPath(room.name), { content });

    expect(response.status).toBe(201);
    expect(response.body.message!.content).toBe(content);
    expect((await rowsOf(app, room.id)).map((row) => row.content)).toEqual([content]);
  });

  it.each([
    ['empty', ''],
    ['only whitespace', ' \n\t  '],
    ['4001 emoji', '😀'.repeat(4001)],
    ['4001 characters', 'a'.repeat(4001)],
    ['missing', undefined],
    ['not a string', 42],
  ])(
    'when the content is %s, then it answers 400 validation_failed and stores nothing',
    async (_label, content) => {
      const { client } = await signedIn();
      const room = await createRoom(client);

      const response = await client.post(messagesPath(room.name), { content });

      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'validation_failed' });
      expect(response.body.error!.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: 'content' })]),
      );
      expect(await rowsOf(app, room.id)).toEqual([]);
      expect(await lastSeqOf(app, room.id)).toBe(0);
    },
  );

  it('when the clientId is longer than 64 characters, then it answers 400 validation_failed', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const response = await client.post(messagesPath(room.name), {
      content: 'hi',
      clientId: 'c'.repeat(65),
    });

    expect(response.status).toBe(400);
    expect(response.body.error!.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'clientId' })]),
    );
    expect(await rowsOf(app, room.id)).toEqual([]);
  });

  it('when no clientId is given, then the message has clientId null', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const response = await client.post(messagesPath(room.name), { content: 'no id' });

    expect(response.status).toBe(201);
    expect(response.body.message!.clientId).toBeNull();
    expect((await rowsOf(app, room.id)).map((row) => row.client_id)).toEqual([null]);
  });

  it('when the room does not exist, then it answers 404 room_not_found', async () => {
    const { client } = await signedIn();

    const response = await client.post(messagesPath(uniqueName('missing')), { content: 'hello?' });

    expect(response.status).toBe(404);
    expect(response.body.error).toEqual({
      code: 'room_not_found',
      message: expect.any(String) as string,
    });
  });

  it('when the body is larger than 64 KiB, then it answers 413 payload_too_large and stores nothing', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const response = await client.postRaw(
      messagesPath(room.name),
      JSON.stringify({ content: 'a'.repeat(64 * 1024) }),
    );

    expect(response.status).toBe(413);
    expect(response.body.error).toEqual({
      code: 'payload_too_large',
      message: expect.any(String) as string,
    });
    expect(await rowsOf(app, room.id)).toEqual([]);
  });

  it('when the body is not JSON, then it answers 400 invalid_json and stores nothing', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const response = await client.postRaw(messagesPath(room.name), '{"content": "hi"');

    expect(response.status).toBe(400);
    expect(response.body.error!.code).toBe('invalid_json');
    expect(await rowsOf(app, room.id)).toEqual([]);
  });
});

describe('sending the same clientId again', () => {
  it('when the same sender repeats a clientId, then the original message comes back and only one is stored', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);
    const first = await client.post(messagesPath(room.name), { content: 'once', clientId: 'dup' });

    const again = await client.post(messagesPath(room.name), { content: 'once', clientId: 'dup' });

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.message).toEqual(first.body.message);
    expect(await rowsOf(app, room.id)).toHaveLength(1);
    expect(await lastSeqOf(app, room.id)).toBe(1);
  });

  it('when another sender uses the same clientId, then theirs is a new message', async () => {
    const ann = await signedIn();
    const bob = await signedIn();
    const room = await createRoom(ann.client);
    const annMessage = await postMessage(ann.client, room.name, 'from ann', 'shared');

    const response = await bob.client.post(messagesPath(room.name), {
      content: 'from bob',
      clientId: 'shared',
    });

    expect(response.status).toBe(201);
    expect(response.body.message).toMatchObject({
      seq: 2,
      username: bob.account.user.username,
      content: 'from bob',
      clientId: 'shared',
    });
    expect(response.body.message!.id).not.toBe(annMessage.id);
    const rows = await rowsOf(app, room.id);
    expect(rows.map((row) => [row.seq, row.user_id, row.client_id])).toEqual([
      [1, ann.account.user.id, 'shared'],
      [2, bob.account.user.id, 'shared'],
    ]);
  });
});

describe('concurrent sends', () => {
  it('when 50 messages are posted to a room at once, then they take seqs 1 to 50 with no gap or duplicate', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const responses = await Promise.all(
      range(1, 50).map((n) => client.post(messagesPath(room.name), { content: `m${n}` })),
    );

    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(201));
    const messages = responses.map((response) => response.body.message!);
    expect(seqsOf(messages).sort((a, b) => a - b)).toEqual(range(1, 50));
    expect(new Set(messages.map((message) => message.id)).size).toBe(50);
    const rows = await rowsOf(app, room.id);
    expect(rows.map((row) => row.seq)).toEqual(range(1, 50));
    expect(rows.map((row) => row.content).sort()).toEqual(
      range(1, 50)
        .map((n) => `m${n}`)
        .sort(),
    );
    expect(await lastSeqOf(app, room.id)).toBe(50);
  });

  it('when 20 posts with the same clientId race, then one message is stored and every answer carries it', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const responses = await Promise.all(
      range(1, 20).map(() =>
        client.post(messagesPath(room.name), { content: 'racing', clientId: 'same' }),
      ),
    );

    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
    const rows = await rowsOf(app, room.id);
    expect(rows).toHaveLength(1);
    const stored: Message = {
      id: rows[0]!.id,
      roomId: room.id,
      seq: 1,
      username: rows[0]!.username,
      content: 'racing',
      timestamp: rows[0]!.timestamp.toISOString(),
      clientId: 'same',
    };
    for (const response of responses) expect(response.body.message).toEqual(stored);
    expect(await lastSeqOf(app, room.id)).toBe(1);
  });
});

describe('reading history', () => {
  it.each([
    ['no parameters', {}, range(71, 120)],
    ['limit=10', { limit: 10 }, range(111, 120)],
    ['beforeSeq=71', { beforeSeq: 71 }, range(21, 70)],
    ['beforeSeq=71&limit=10', { beforeSeq: 71, limit: 10 }, range(61, 70)],
    ['beforeSeq=1', { beforeSeq: 1 }, []],
    ['afterSeq=100', { afterSeq: 100 }, range(101, 120)],
    ['afterSeq=10&limit=5', { afterSeq: 10, limit: 5 }, range(11, 15)],
    ['afterSeq=0', { afterSeq: 0 }, range(1, 50)],
    ['afterSeq=120', { afterSeq: 120 }, []],
  ])(
    'when a room of 120 messages is read with %s, then it answers that page ascending by seq',
    async (_label, query, expectedSeqs) => {
      const { client, room, messages } = await roomWithMessages(120);

      const response = await client.get(messagesPath(room.name), query);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        messages: expectedSeqs.map((seq) => messages[seq - 1]),
      });
    },
  );

  it('when a room has no messages, then its history is empty', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const response = await client.get(messagesPath(room.name));

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ messages: [] });
  });

  it.each([
    ['both beforeSeq and afterSeq', { beforeSeq: 5, afterSeq: 1 }],
    ['limit=101', { limit: 101 }],
    ['limit=0', { limit: 0 }],
    ['limit=x', { limit: 'x' }],
    ['beforeSeq=-1', { beforeSeq: -1 }],
    ['afterSeq=1.5', { afterSeq: 1.5 }],
  ])('when history is asked with %s, then it answers 400 validation_failed', async (_l, query) => {
    const { client } = await signedIn();
    const room = await createRoom(client);
    await postMessage(client, room.name, 'hello');

    const response = await client.get(messagesPath(room.name), query);

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'validation_failed' });
  });

  it('when the room does not exist, then it answers 404 room_not_found', async () => {
    const { client } = await signedIn();

    const response = await client.get(messagesPath(uniqueName('missing')));

    expect(response.status).toBe(404);
    expect(response.body.error!.code).toBe('room_not_found');
  });

  it('when the room name holds a NUL character, then it answers 404 room_not_found', async () => {
    const { client } = await signedIn();

    const response = await client.get(messagesPath('bad\0name'));

    expect(response.status).toBe(404);
    expect(response.body.error!.code).toBe('room_not_found');
  });
});

describe('with the contract rate limits (burst 30, 10 per second)', () => {
  let limited: WebApp;
  beforeAll(async () => {
    limited = await startWebApp({}, {});
  });
  afterAll(() => limited.close());

  it('when one user posts 40 messages at once, then the burst of 30 (and what 10 a second gives back meanwhile) is stored and the rest answer 429 rate_limited with Retry-After', async () => {
    const { client } = await signedIn(limited);
    const room = await createRoom(client);

    const started = performance.now();
    const responses = await Promise.all(
      range(1, 40).map((n) => client.post(messagesPath(room.name), { content: `burst ${n}` })),
    );
    const elapsedSeconds = (performance.now() - started) / 1000;

    const created = responses.filter((response) => response.status === 201);
    const refused = responses.filter((response) => response.status !== 201);
    expect(created.length).toBeGreaterThanOrEqual(30);
    expect(created.length).toBeLessThanOrEqual(30 + Math.ceil(10 * elapsedSeconds));
    for (const response of refused) {
      expect(response.status).toBe(429);
      expect(response.body.error!.code).toBe('rate_limited');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Refused sends take no seq: what is stored is exactly what was accepted, without gaps.
    const rows = await rowsOf(limited, room.id);
    expect(rows.map((row) => row.id).sort()).toEqual(
      created.map((response) => response.body.message!.id).sort(),
    );
    expect(rows.map((row) => row.seq)).toEqual(range(1, created.length));
    expect(await lastSeqOf(limited, room.id)).toBe(created.length);
  });

  it('when one user is being limited, then another user can still post', async () => {
    const busy = await signedIn(limited);
    const other = await signedIn(limited);
    const room = await createRoom(busy.client);
    const burst = await Promise.all(
      range(1, 40).map(() => busy.client.post(messagesPath(room.name), { content: 'spam' })),
    );
    expect(burst.some((response) => response.status === 429)).toBe(true);

    const response = await other.client.post(messagesPath(room.name), { content: 'still here' });

    expect(response.status).toBe(201);
    expect(response.body.message!.username).toBe(other.account.user.username);
  });
});

describe('events for chat nodes', () => {
  let inbox: EventInbox;
  beforeEach(async () => {
    inbox = await openEventInbox();
  });
  afterEach(() => inbox.close());

  const createdIn = (events: CommittedEvent[], roomId: number) =>
    events.filter((event) => event.type === 'messages_created' && event.roomId === roomId);

  it('when a message is posted, then exactly one messages_created event carries it', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const message = await postMessage(client, room.name, 'live');
    const events = await eventsUntilMarker(inbox, client);

    expect(createdIn(events, room.id)).toEqual([
      {
        type: 'messages_created',
        roomId: room.id,
        roomName: room.name,
        lastSeq: 1,
        messages: [message],
      },
    ]);
  });

  it('when the same clientId is sent twice, then only one messages_created event is published', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const first = await postMessage(client, room.name, 'only once', 'retry-me');
    const second = await postMessage(client, room.name, 'only once', 'retry-me');
    const events = await eventsUntilMarker(inbox, client);

    expect(second).toEqual(first);
    expect(createdIn(events, room.id)).toEqual([
      {
        type: 'messages_created',
        roomId: room.id,
        roomName: room.name,
        lastSeq: 1,
        messages: [first],
      },
    ]);
  });

  it('when a message is too large for a NOTIFY payload, then its event announces its seq without it', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const message = await postMessage(client, room.name, '😀'.repeat(4000));
    const events = createdIn(await eventsUntilMarker(inbox, client), room.id);

    expect(events).toEqual([
      { type: 'messages_created', roomId: room.id, roomName: room.name, lastSeq: 1, messages: [] },
    ]);
    expect(await app.deps.messages.findById(message.id)).toEqual(message);
  });
});
