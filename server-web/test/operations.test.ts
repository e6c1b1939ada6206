import { Writable } from 'node:stream';
import pino from 'pino';
import { startDatabaseProxy, type TcpProxy } from '../../test/support/tcp-proxy';
import { startWebApp, uniqueName, type WebApp } from '../../test/support/web-app';
import { eventually } from './support';

async function signUp(app: WebApp): Promise<string> {
  const username = uniqueName('ops');
  const response = await fetch(`${app.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${username}@example.org`, username, password: 'password1' }),
  });
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

describe('health, readiness and metrics', () => {
  let app: WebApp;
  beforeAll(async () => {
    app = await startWebApp();
  });
  afterAll(() => app.close());

  test('when the process is up, then /healthz and /readyz answer 200', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  test('when requests were answered, then /metrics counts them by route and status', async () => {
    const cookie = await signUp(app);
    const missing = uniqueName('missing');
    await fetch(`${app.url}/api/rooms`, { headers: { cookie } });
    await fetch(`${app.url}/api/rooms/${missing}`, { headers: { cookie } });
    await fetch(`${app.url}/api/rooms/${missing}/messages`, { headers: { cookie } });

    const metrics = await (await fetch(`${app.url}/metrics`)).text();

    expect(metrics).toMatch(
      /http_requests_total\{method="GET",route="\/api\/rooms\/",status="200"\} \d+/,
    );
    expect(metrics).toMatch(
      /http_requests_total\{method="GET",route="\/api\/rooms\/:name",status="404"\} 1/,
    );
    expect(metrics).toMatch(
      /http_request_duration_seconds_bucket\{le="0.1",method="POST",route="\/api\/auth\/register",status="201"\}/,
    );
    expect(metrics).toMatch(
      /http_requests_total\{method="GET",route="\/api\/rooms\/:name\/messages",status="404"\} 1/,
    );
    expect(metrics).not.toContain(missing);
    expect(metrics).toContain('parley_web_process_cpu_seconds_total');
  });

  test('when a path is unknown, then the answer is a JSON 404 naming the path asked for, without framework headers', async () => {
    for (const path of ['/api/nothing-here', '/nothing-here', '/api/auth/nope']) {
      const response = await fetch(`${app.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('x-powered-by')).toBeNull();
      expect(await response.json()).toEqual({
        error: { code: 'not_found', message: `No route for GET ${path}` },
      });
    }
  });

  test('when a request carries an X-Request-Id, then it is echoed, else one is made', async () => {
    const given = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await fetch(`${app.url}/healthz`, {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('request logs', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  let app: WebApp;
  beforeAll(async () => {
    app = await startWebApp({}, undefined, logger);
  });
  afterAll(() => app.close());

  const linesOf = (reqId: string) => lines.filter((line) => line.reqId === reqId);

  test('when requests are answered, then each is logged once with its id, status and no credentials', async () => {
    const cookie = await signUp(app);
    const headers = (id: string) => ({ cookie, 'x-request-id': id });
    await fetch(`${app.url}/api/rooms?q=log`, { headers: headers('log-ok') });
    await fetch(`${app.url}/api/rooms/${uniqueName('missing')}`, { headers: headers('log-404') });

    const [ok] = await eventually(
      () => Promise.resolve(linesOf('log-ok')),
      (found) => found.length > 0,
    );
    expect(ok).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { method: 'GET', url: '/api/rooms?q=log' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number) as number,
    });
    const [missing] = await eventually(
      () => Promise.resolve(linesOf('log-404')),
      (found) => found.length > 0,
    );
    expect(missing).toMatchObject({ level: 40, res: { statusCode: 404 } });
    expect(linesOf('log-ok')).toHaveLength(1);
    const token = cookie.split('=')[1]!;
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  test('when the level is above info, then answered requests are not logged and errors still are', async () => {
    logger.level = 'warn';
    try {
      const cookie = await signUp(app);
      await fetch(`${app.url}/api/rooms`, { headers: { cookie, 'x-request-id': 'quiet-ok' } });
      await fetch(`${app.url}/api/rooms/x`, {
        method: 'DELETE',
        headers: { 'x-request-id': 'quiet-401' },
      });

      await eventually(
        () => Promise.resolve(linesOf('quiet-401')),
        (found) => found.length > 0,
      );
      expect(linesOf('quiet-ok')).toEqual([]);
    } finally {
      logger.level = 'info';
    }
  });
});

describe('a database outage', () => {
  let proxy: TcpProxy;
  let app: WebApp;
  beforeAll(async () => {
    let databaseUrl: string;
    ({ proxy, databaseUrl } = await startDatabaseProxy());
    app = await startWebApp({ DATABASE_URL: databaseUrl });
  });
  afterAll(async () => {
    await app.close();
    await proxy.close();
  });

  test('when the database goes away and comes back, then /readyz says 503 then 200 on its own', async () => {
    const cookie = await signUp(app);
    const room = uniqueName('ops-room');
    const post = (path: string, body: unknown) =>
      fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/api/rooms', { name: room })).status).toBe(201);
    expect((await post(`/api/rooms/${room}/messages`, { content: 'before' })).status).toBe(201);
    const history = () => fetch(`${app.url}/api/rooms/${room}/messages`, { headers: { cookie } });
    // The pool's connections have prepared the history statement before they are cut.
    expect((await history()).status).toBe(200);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);

    await proxy.cut();

    const down = await fetch(`${app.url}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      error: { code: 'unavailable', message: expect.any(String) as string },
    });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const api = await fetch(`${app.url}/api/rooms`, { headers: { cookie } });
    expect(api.status).toBe(503);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    expect((await history()).status).toBe(503);

    await proxy.restore();

    await eventually(
      async () => (await fetch(`${app.url}/readyz`)).status,
      (status) => status === 200,
    );
    expect((await fetch(`${app.url}/api/rooms`, { headers: { cookie } })).status).toBe(200);
    const page = (await (await history()).json()) as { messages: { content: string }[] };
    expect(page.messages.map((message) => message.content)).toEqual(['before']);
  });
});
