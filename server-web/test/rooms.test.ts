import type { CommittedEvent, RoomRow } from '@parley/db';
import { signSession } from '@parley/server-kit';
import { startWebApp, uniqueName, type WebApp } from '../../test/support/web-app';
import { eventsUntilMarker, openEventInbox, type EventInbox } from './event-inbox';
import {
  api,
  createRoom,
  messagesPath,
  postMessage,
  roomPath,
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

async function signedIn(): Promise<{ account: Account; client: ApiClient }> {
  const account = await signUp(app);
  return { account, client: api(app, account.cookie) };
}

const roomRow = (name: string) =>
  app.deps.db('chat_rooms').where({ name }).first<{ id: number; owner_id: number } | undefined>();
const messageCount = async (roomId: number) =>
  Number((await app.deps.db('messages').where({ room_id: roomId }).count({ n: '*' }))[0]!.n);

describe('without a session', () => {
  it.each([
    ['GET', 'the room list', () => '/api/rooms'],
    ['POST', 'a new room', () => '/api/rooms'],
    ['GET', 'a room', (name: string) => roomPath(name)],
    ['DELETE', 'a room', (name: string) => roomPath(name)],
    ['GET', 'the messages of a room', (name: string) => messagesPath(name)],
    ['POST', 'a message to a room', (name: string) => messagesPath(name)],
  ])(
    'when a visitor calls %s on %s, then it answers 401 unauthorized and changes nothing',
    async (method, _what, pathOf) => {
      const { client } = await signedIn();
      const room = await createRoom(client);
      const newName = uniqueName('anonymous');

      const response = await fetch(new URL(pathOf(room.name), app.url), {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ name: newName, content: 'hello' }) : undefined,
      });

      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: { code: 'unauthorized', message: expect.any(String) as string },
      });
      expect(await roomRow(room.name)).toBeDefined();
      expect(await roomRow(newName)).toBeUndefined();
      expect(await messageCount(room.id)).toBe(0);
    },
  );

  it('when a caller sends a bearer token signed with another secret, then it answers 401', async () => {
    const { account } = await signedIn();
    const { token } = signSession(account.user, 'another-secret-that-is-at-least-32-bytes!!', 3600);

    const response = await fetch(`${app.url}/api/rooms`, {
      headers: { authorization: `Bearer ${token}` },
    });

    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'unauthorized',
    );
  });
});

describe('creating a room', () => {
  it('when a signed-in user creates a room, then it answers 201 with the room and stores it with them as owner', async () => {
    const { account, client } = await signedIn();
    const name = uniqueName('room');

    const response = await client.post('/api/rooms', { name });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      room: {
        id: expect.any(Number) as number,
        name,
        owner: { id: account.user.id, username: account.user.username },
        createdAt: expect.stringMatching(ISO_UTC) as string,
      },
    });
    const row = await app.deps.db<RoomRow>('chat_rooms').where({ name }).first();
    expect(row).toMatchObject({
      id: response.body.room!.id,
      owner_id: account.user.id,
      last_seq: 0,
    });
  });

  it('when the name has capitals and runs of spaces, then the stored name is trimmed, lower-cased and hyphenated', async () => {
    const { client } = await signedIn();
    const suffix = uniqueName('x');

    const response = await client.post('/api/rooms', { name: `  Team   Chat ${suffix} ` });

    expect(response.status).toBe(201);
    expect(response.body.room!.name).toBe(`team-chat-${suffix}`);
    expect(await roomRow(`team-chat-${suffix}`)).toBeDefined();
  });

  it('when the name arrives decomposed (NFD), then it is stored composed (NFC)', async () => {
    const { client } = await signedIn();
    const composed = `phòng họp ${uniqueName('x')}`.normalize('NFC');
    const decomposed = composed.normalize('NFD');
    const canonical = composed.replace(/ /g, '-');
    expect(decomposed).not.toBe(composed);

    const response = await client.post('/api/rooms', { name: decomposed });

    expect(response.status).toBe(201);
    expect(response.body.room!.name).toBe(canonical);
    const rows = await app.deps
      .db('chat_rooms')
      .whereIn('name', [canonical, canonical.normalize('NFD')])
      .select<{ name: string }[]>('name');
    expect(rows).toEqual([{ name: canonical }]);
  });

  it.each(['phòng-họp', 'тест', '会议室', 'हिन्दी'])(
    'when the name is in another script (%s), then it is accepted and found by its encoded path',
    async (base) => {
      const { client } = await signedIn();
      const name = `${base}-${uniqueName('x')}`;

      const created = await client.post('/api/rooms', { name });
      const fetched = await client.get(roomPath(name));

      expect(created.status).toBe(201);
      expect(created.body.room!.name).toBe(name);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(created.body);
      expect(await roomRow(name)).toMatchObject({ id: created.body.room!.id });
    },
  );

  it.each(['TEAM CHAT', '  team   chat  ', 'Team-Chat'])(
    'when a room with the same canonical name exists (%j), then it answers 409 room_exists and keeps one room',
    async (variant) => {
      const { client } = await signedIn();
      const suffix = uniqueName('x');
      const existing = await createRoom(client, `team chat ${suffix}`);

      const response = await client.post('/api/rooms', { name: `${variant} ${suffix}` });

      expect(response.status).toBe(409);
      expect(response.body.error).toEqual({
        code: 'room_exists',
        message: expect.any(String) as string,
      });
      const rows = await app.deps
        .db('chat_rooms')
        .where('name', 'like', `%${suffix}`)
        .select<{ id: number }[]>('id');
      expect(rows).toEqual([{ id: existing.id }]);
    },
  );

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['65 characters', 'n'.repeat(65)],
    ['65 code points beyond the BMP', '𠀀'.repeat(65)],
    ['a slash', 'a/b'],
    ['a question mark', 'a?b'],
    ['markup', '<script>'],
    ['a combining mark alone', '\u0301'],
    // Dot segments: URLs resolve /api/rooms/.. to /api/, so no address could reach such a room.
    ['a lone dot', '.'],
    ['two dots', ' .. '],
  ])(
    'when the name is %s, then it answers 400 validation_failed with details and stores nothing',
    async (_label, name) => {
      const { account, client } = await signedIn();

      const response = await client.post('/api/rooms', { name });

      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'validation_failed' });
      expect(response.body.error!.details).toEqual(
        expect.arrayContaining([{ path: 'name', message: expect.any(String) as string }]),
      );
      expect(await app.deps.db('chat_rooms').where({ owner_id: account.user.id })).toEqual([]);
    },
  );

  it('when the body has no name, then it answers 400 validation_failed', async () => {
    const { client } = await signedIn();

    const response = await client.post('/api/rooms', {});

    expect(response.status).toBe(400);
    expect(response.body.error!.code).toBe('validation_failed');
  });

  it.each([
    ['64 characters', (prefix: string) => prefix + 'n'.repeat(64 - prefix.length)],
    ['64 code points beyond the BMP', (prefix: string) => prefix + '𠀀'.repeat(64 - prefix.length)],
  ])('when the name is %s long, then it is accepted as given', async (_label, nameOf) => {
    const { client } = await signedIn();
    const name = nameOf(uniqueName('r'));
    expect([...name]).toHaveLength(64);

    const response = await client.post('/api/rooms', { name });

    expect(response.status).toBe(201);
    expect(response.body.room!.name).toBe(name);
    expect(await roomRow(name)).toBeDefined();
  });
});

describe('getting a room', () => {
  it('when a signed-in user asks for an existing room, then it answers 200 with the room', async () => {
    const owner = await signedIn();
    const room = await createRoom(owner.client);
    const { client } = await signedIn();

    const response = await client.get(roomPath(room.name));

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ room });
  });

  it.each([
    ['that no one created', () => uniqueName('missing')],
    ['that no room can have (a NUL character)', () => `${uniqueName('nul')}\0x`],
  ])('when asked for a name %s, then it answers 404 room_not_found', async (_label, nameOf) => {
    const { client } = await signedIn();

    const response = await client.get(roomPath(nameOf()));

    expect(response.status).toBe(404);
    expect(response.body.error).toEqual({
      code: 'room_not_found',
      message: expect.any(String) as string,
    });
  });
});

describe('searching rooms', () => {
  const names = (rooms: { name: string }[] | undefined) => (rooms ?? []).map((room) => room.name);

  it('when q is given in another case, then the rooms containing it anywhere are listed in name order', async () => {
    const { client } = await signedIn();
    const key = uniqueName('key');
    await createRoom(client, `south-${key}-red`);
    await createRoom(client, `north-${key}-red`);
    await createRoom(client, `${key}-blue`);

    const response = await client.get('/api/rooms', { q: `${key}-RED`.toUpperCase() });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      rooms: [
        expect.objectContaining({ name: `north-${key}-red` }),
        expect.objectContaining({ name: `south-${key}-red` }),
      ] as unknown[],
      nextCursor: null,
    });
  });

  it('when q is in capitals of another script, then it still matches case-insensitively', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client, `тест-${uniqueName('x')}`);

    const response = await client.get('/api/rooms', { q: room.name.toUpperCase() });

    expect(response.status).toBe(200);
    expect(response.body.rooms).toEqual([room]);
  });

  it('when q contains "_", then it matches only an underscore, not any character', async () => {
    const { client } = await signedIn();
    const key = uniqueName('key');
    const underscore = await createRoom(client, `${key}-x_y`);
    await createRoom(client, `${key}-xay`);

    const response = await client.get('/api/rooms', { q: `${key}-x_y` });

    expect(response.status).toBe(200);
    expect(response.body.rooms).toEqual([underscore]);
  });

  it('when q contains "%", then it matches a literal percent sign (so nothing here), not everything', async () => {
    const { client } = await signedIn();
    const key = uniqueName('key');
    await createRoom(client, `${key}-a`);
    await createRoom(client, `${key}-b`);

    const withPercent = await client.get('/api/rooms', { q: `${key}-%` });
    const withoutPercent = await client.get('/api/rooms', { q: `${key}-` });

    expect(withPercent.status).toBe(200);
    expect(withPercent.body).toEqual({ rooms: [], nextCursor: null });
    expect(names(withoutPercent.body.rooms)).toEqual([`${key}-a`, `${key}-b`]);
  });

  it('when q contains a backslash, then it matches a literal backslash, not an escape', async () => {
    const { client } = await signedIn();
    const key = uniqueName('key');
    await createRoom(client, `${key}-x_y`);

    // Were "\" an escape, "\_" would be a literal "_" and find the room.
    const response = await client.get('/api/rooms', { q: `${key}-x\\_y` });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ rooms: [], nextCursor: null });
  });

  it('when a client pages with limit 2, then it visits every matching room exactly once in name order and ends with a null cursor', async () => {
    const { client } = await signedIn();
    const key = uniqueName('page');
    const created = ['g', 'c', 'a', 'f', 'b', 'e', 'd'].map((letter) => `${key}-${letter}`);
    for (const name of created) await createRoom(client, name);

    const pages: string[][] = [];
    let cursor: string | null | undefined;
    do {
      const query: Record<string, string | number> = { q: key, limit: 2 };
      if (cursor) query.cursor = cursor;
      const response = await client.get('/api/rooms', query);
      expect(response.status).toBe(200);
      pages.push(names(response.body.rooms));
      cursor = response.body.nextCursor;
    } while (cursor && pages.length < 10);

    expect(pages).toEqual([
      [`${key}-a`, `${key}-b`],
      [`${key}-c`, `${key}-d`],
      [`${key}-e`, `${key}-f`],
      [`${key}-g`],
    ]);
    expect(cursor).toBeNull();
  });

  it('when the matches fill the last page exactly, then that page has a null cursor', async () => {
    const { client } = await signedIn();
    const key = uniqueName('page');
    for (const letter of ['a', 'b', 'c', 'd']) await createRoom(client, `${key}-${letter}`);

    const first = await client.get('/api/rooms', { q: key, limit: 2 });
    const second = await client.get('/api/rooms', {
      q: key,
      limit: 2,
      cursor: first.body.nextCursor!,
    });

    expect(names(first.body.rooms)).toEqual([`${key}-a`, `${key}-b`]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(second.body).toEqual({
      rooms: [
        expect.objectContaining({ name: `${key}-c` }),
        expect.objectContaining({ name: `${key}-d` }),
      ] as unknown[],
      nextCursor: null,
    });
  });

  it('when no limit is given, then a page holds 20 rooms', async () => {
    const { client } = await signedIn();
    const key = uniqueName('many');
    const created = Array.from({ length: 21 }, (_, i) => `${key}-${String(i).padStart(2, '0')}`);
    await Promise.all(created.map((name) => createRoom(client, name)));

    const first = await client.get('/api/rooms', { q: key });
    const second = await client.get('/api/rooms', { q: key, cursor: first.body.nextCursor! });

    expect(first.status).toBe(200);
    expect(names(first.body.rooms)).toEqual(created.slice(0, 20));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(second.body).toEqual({
      rooms: [expect.objectContaining({ name: created[20] })] as unknown[],
      nextCursor: null,
    });
  });

  it.each(['0', '101', 'x', '-1', '1.5'])(
    'when limit is %j, then it answers 400 validation_failed',
    async (limit) => {
      const { client } = await signedIn();

      const response = await client.get('/api/rooms', { limit });

      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'validation_failed' });
      expect(response.body.error!.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: 'limit' })]),
      );
    },
  );

  it('when q contains a NUL character, then it matches nothing rather than failing', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);

    const response = await client.get('/api/rooms', { q: `${room.name}\0` });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ rooms: [], nextCursor: null });
  });

  it('when limit is 100, then it is accepted', async () => {
    const { client } = await signedIn();

    const response = await client.get('/api/rooms', { limit: 100 });

    expect(response.status).toBe(200);
    expect(response.body.rooms!.length).toBeLessThanOrEqual(100);
  });

  // "AAAA" is well-formed base64url for three NUL characters, a name no room can have.
  it.each(['not a cursor!', 'AAAA', '%%%'])(
    'when the cursor is not one the server issued (%j), then it answers 400 validation_failed',
    async (cursor) => {
      const { client } = await signedIn();

      const response = await client.get('/api/rooms', { cursor });

      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'validation_failed' });
    },
  );
});

describe('deleting a room', () => {
  it('when the owner deletes a room, then it answers 204 and the room and its messages are gone', async () => {
    const { client } = await signedIn();
    const room = await createRoom(client);
    await postMessage(client, room.name, 'one');
    await postMessage(client, room.name, 'two');
    expect(await messageCount(room.id)).toBe(2);

    const response = await client.delete(roomPath(room.name));

    expect(response.status).toBe(204);
    expect(await roomRow(room.name)).toBeUndefined();
    expect(await messageCount(room.id)).toBe(0);
    expect((await client.get(roomPath(room.name))).status).toBe(404);
  });

  it('when someone other than the owner deletes a room, then it answers 403 forbidden and deletes nothing', async () => {
    const owner = await signedIn();
    const room = await createRoom(owner.client);
    await postMessage(owner.client, room.name, 'still here');
    const other = await signedIn();

    const response = await other.client.delete(roomPath(room.name));

    expect(response.status).toBe(403);
    expect(response.body.error).toEqual({
      code: 'forbidden',
      message: expect.any(String) as string,
    });
    expect(await roomRow(room.name)).toMatchObject({
      id: room.id,
      owner_id: owner.account.user.id,
    });
    expect(await messageCount(room.id)).toBe(1);
  });

  it.each([
    ['that no one created', () => uniqueName('missing')],
    ['that no room can have (a NUL character)', () => `${uniqueName('nul')}\0x`],
  ])('when deleting a name %s, then it answers 404 room_not_found', async (_label, nameOf) => {
    const { client } = await signedIn();

    const response = await client.delete(roomPath(nameOf()));

    expect(response.status).toBe(404);
    expect(response.body.error).toEqual({
      code: 'room_not_found',
      message: expect.any(String) as string,
    });
  });

  describe('events for chat nodes', () => {
    let inbox: EventInbox;
    beforeEach(async () => {
      inbox = await openEventInbox();
    });
    afterEach(() => inbox.close());

    const deletionsOf = (events: CommittedEvent[], roomId: number) =>
      events.filter((event) => event.type === 'room_deleted' && event.roomId === roomId);

    it('when a non-owner is refused and then the owner deletes, then exactly one room_deleted event is published, after the deletion', async () => {
      const owner = await signedIn();
      const other = await signedIn();
      const room = await createRoom(owner.client);

      const refused = await other.client.delete(roomPath(room.name));
      const afterRefusal = await eventsUntilMarker(inbox, owner.client);
      const deleted = await owner.client.delete(roomPath(room.name));
      const afterDeletion = await eventsUntilMarker(inbox, owner.client);

      expect(refused.status).toBe(403);
      expect(deletionsOf(afterRefusal, room.id)).toEqual([]);
      expect(deleted.status).toBe(204);
      expect(deletionsOf(afterDeletion, room.id)).toEqual([
        { type: 'room_deleted', roomId: room.id, roomName: room.name },
      ]);
    });
  });
});
