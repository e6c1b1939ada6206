import { get as httpGet } from 'node:http';
import { uniqueName, startWebApp, type WebApp } from '../../test/support/web-app';
import { startDatabaseProxy, type TcpProxy } from '../../test/support/tcp-proxy';
import { bearer, eventually, postJson, register } from './support';

// Each website node keeps history pages and room searches as it sent them, and drops them when
// its own commits or any node's committed events change them; these tests run several nodes on
// one database.
interface Page {
  status: number;
  etag: string | null;
  body: unknown;
}

async function get(node: WebApp, path: string, headers: Record<string, string>): Promise<Page> {
  const response = await fetch(`${node.url}${path}`, { headers });
  const text = await response.text();
  return {
    status: response.status,
    etag: response.headers.get('etag'),
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

/** The status of a conditional GET (fetch would add Cache-Control: no-cache, defeating it). */
function revalidate(node: WebApp, path: string, headers: Record<string, string>, etag: string) {
  return new Promise<number>((resolve, reject) => {
    httpGet(
      `${node.url}${path}`,
      { headers: { ...headers, 'if-none-match': etag } },
      (response) => {
        response.resume();
        resolve(response.statusCode!);
      },
    ).on('error', reject);
  });
}

const contents = (page: Page) =>
  (page.body as { messages: { content: string }[] }).messages.map((message) => message.content);
const roomNames = (page: Page) =>
  (page.body as { rooms: { name: string }[] }).rooms.map((room) => room.name);

describe('cached reads on several website nodes', () => {
  const nodes: WebApp[] = [];
  const startNode = async (env: Record<string, string> = {}) => {
    const node = await startWebApp(env);
    nodes.push(node);
    return node;
  };
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
  });

  /** Reads until the node keeps the page: it then answers from memory until something changes. */
  const readUntilCached = async (node: WebApp, path: string, headers: Record<string, string>) => {
    const before = node.deps.readCache.size();
    await eventually(
      async () => {
        await get(node, path, headers);
        return node.deps.readCache.size();
      },
      (size) => size > before,
    );
    return get(node, path, headers);
  };

  test('when a message is posted on one node, then another node shows it within a second and the posting node at once', async () => {
    const [first, second] = await Promise.all([startNode(), startNode()]);
    const { token } = await register(first);
    const auth = bearer(token);
    const room = uniqueName('cached');
    const post = (node: WebApp, content: string) =>
      postJson(node, `/api/rooms/${room}/messages`, { content }, auth);
    expect((await postJson(first, '/api/rooms', { name: room }, auth)).status).toBe(201);
    expect((await post(first, 'one')).status).toBe(201);
    const latest = `/api/rooms/${room}/messages`;
    const cached = await readUntilCached(second, latest, auth);
    expect(contents(cached)).toEqual(['one']);

    expect((await post(first, 'two')).status).toBe(201);
    const seen = await eventually(
      () => get(second, latest, auth),
      (page) => contents(page).length === 2,
      1_000,
    );
    expect(contents(seen)).toEqual(['one', 'two']);

    expect((await post(second, 'three')).status).toBe(201);
    const own = await get(second, latest, auth);
    expect(contents(own)).toEqual(['one', 'two', 'three']);
    // Revalidation: the page a client holds is current (304) or not (the new page).
    expect(cached.etag).toBeTruthy();
    expect(await revalidate(second, latest, auth, cached.etag!)).toBe(200);
    expect(await revalidate(second, latest, auth, own.etag!)).toBe(304);
  });

  test('when a client catches up after a seq, then a partial page is read from the database and a full one is kept', async () => {
    const node = await startNode();
    const { token } = await register(node);
    const auth = bearer(token);
    const room = uniqueName('catching-up');
    expect((await postJson(node, '/api/rooms', { name: room }, auth)).status).toBe(201);
    for (const content of ['one', 'two', 'three']) {
      expect((await postJson(node, `/api/rooms/${room}/messages`, { content }, auth)).status).toBe(
        201,
      );
    }
    // The node listens once it has started; read a page until it keeps one.
    await readUntilCached(node, `/api/rooms/${room}/messages?afterSeq=0&limit=2`, auth);
    const held = node.deps.readCache.size();

    const tail = await get(node, `/api/rooms/${room}/messages?afterSeq=1&limit=5`, auth);
    expect(contents(tail)).toEqual(['two', 'three']);
    expect(node.deps.readCache.size()).toBe(held);
    const full = await get(node, `/api/rooms/${room}/messages?afterSeq=1&limit=2`, auth);
    expect(contents(full)).toEqual(['two', 'three']);
    expect(node.deps.readCache.size()).toBeGreaterThan(held);
  });

  test('when a room is created and deleted on one node, then another node’s search and history follow within a second', async () => {
    const [first, second] = await Promise.all([startNode(), startNode()]);
    const { token } = await register(first);
    const auth = bearer(token);
    const prefix = uniqueName('searched');
    const search = `/api/rooms?q=${prefix}`;
    expect(roomNames(await readUntilCached(second, search, auth))).toEqual([]);

    const room = `${prefix}-room`;
    expect((await postJson(first, '/api/rooms', { name: room }, auth)).status).toBe(201);
    await eventually(
      async () => roomNames(await get(second, search, auth)),
      (names) => names.length === 1 && names[0] === room,
      1_000,
    );
    const history = `/api/rooms/${room}/messages`;
    expect(contents(await readUntilCached(second, history, auth))).toEqual([]);

    const deleted = await fetch(`${first.url}/api/rooms/${room}`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(deleted.status).toBe(204);
    await eventually(
      async () => (await get(second, history, auth)).status,
      (status) => status === 404,
      1_000,
    );
    expect(roomNames(await get(second, search, auth))).toEqual([]);
  });

  describe('while a node has lost its database connection', () => {
    let proxy: TcpProxy;
    let databaseUrl: string;
    beforeAll(async () => {
      ({ proxy, databaseUrl } = await startDatabaseProxy());
    });
    afterAll(() => proxy.close());

    test('when the connection is back, then that node shows what was written meanwhile', async () => {
      const direct = await startNode();
      const cutOff = await startNode({ DATABASE_URL: databaseUrl });
      const { token } = await register(direct);
      const auth = bearer(token);
      const room = uniqueName('cut');
      expect((await postJson(direct, '/api/rooms', { name: room }, auth)).status).toBe(201);
      const latest = `/api/rooms/${room}/messages`;
      expect(contents(await readUntilCached(cutOff, latest, auth))).toEqual([]);

      await proxy.cut();
      const written = await postJson(direct, latest, { content: 'meanwhile' }, auth);
      expect(written.status).toBe(201);
      // It answers 503 then, not the page it kept: it cannot know what changed.
      expect((await get(cutOff, latest, auth)).status).toBe(503);
      await proxy.restore();

      const page = await eventually(
        () => get(cutOff, latest, auth),
        (answer) => answer.status !== 503,
      );
      expect(contents(page)).toEqual(['meanwhile']);
    });
  });
});
