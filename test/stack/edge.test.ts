import { once } from 'node:events';
import http from 'node:http';
import WebSocket from 'ws';
import {
  api,
  createRoom,
  messagesPath,
  postMessage,
  signUp,
} from '../../server-web/test/rest-client';
import { startStack, type TestStack } from '../support/stack';
import { uniqueName } from '../support/web-app';

// What nginx itself adds in front of the services: headers, caching, compression, limits.
let stack: TestStack;

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.url}${path}`, { headers });

/** The hashed scripts and stylesheet the app shell loads, e.g. /main-T3277VWJ.js. */
async function shellAssets(): Promise<string[]> {
  const shell = await (await get('/')).text();
  return [...shell.matchAll(/(?:src|href)="([^"]+-[A-Z0-9]{8}\.(?:js|css))"/g)].map(
    ([, file]) => `/${file}`,
  );
}

test('when the REST API is used through nginx, then it answers as the website service does', async () => {
  // Arrange
  const account = await signUp(stack, 'edge');
  const rest = api(stack, account.cookie);

  // Act
  const room = await createRoom(rest);
  const posted = await postMessage(rest, room.name, 'over nginx');
  const history = await rest.get(messagesPath(room.name));
  const me = await rest.get('/api/auth/me');
  const anonymous = await api(stack).get('/api/auth/me');

  // Assert
  expect(history.body.messages).toEqual([posted]);
  expect(me.body.user?.username).toBe(account.user.username);
  expect(anonymous.status).toBe(401);
  expect(anonymous.body.error?.code).toBe('unauthorized');
  for (const path of ['/healthz', '/readyz']) expect((await get(path)).status).toBe(200);
  // Metrics are scraped from each service's own port, not through the public edge.
  expect((await get('/metrics')).status).toBe(404);
});

test('when the services behind nginx are called on another address than 127.0.0.1, then they do not answer: only nginx faces clients', async () => {
  const ports = [stack.web.port, ...stack.chatNodes.map((node) => node.port)];
  const reach = (host: string, port: number) =>
    fetch(`http://${host}:${port}/healthz`).then(
      (response) => response.status,
      () => 'refused',
    );

  const direct = await Promise.all(ports.map((port) => reach('127.0.0.1', port)));
  const elsewhere = await Promise.all(ports.map((port) => reach('127.0.0.2', port)));

  expect(direct).toEqual(ports.map(() => 200));
  expect(elsewhere).toEqual(ports.map(() => 'refused'));
});

test('when a client claims HTTPS in X-Forwarded-Proto over plain HTTP, then nginx overrides it and the cookie is not Secure', async () => {
  const response = await fetch(`${stack.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
    body: JSON.stringify({
      email: `proto-${Date.now()}@example.org`,
      username: `proto-${Date.now()}`,
      password: 'password1',
    }),
  });

  expect(response.status).toBe(201);
  const cookie = response.headers.getSetCookie().find((value) => value.startsWith('access_token='));
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).not.toMatch(/Secure/i);
});

test('when pages, assets and API answers leave nginx, then each carries the security headers once and no version', async () => {
  const [asset] = await shellAssets();
  for (const path of ['/', '/rooms/abc', asset!, '/api/auth/me', '/healthz', '/no-such.js']) {
    const response = await get(path);
    const csp = response.headers.get('content-security-policy') ?? '';
    // A second copy (the services' own) would show here joined with ", ".
    expect(csp.split(', ')).toHaveLength(1);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(response.headers.get('server')).toBe('nginx');
    expect(response.headers.get('strict-transport-security')).toBeNull();
  }
});

test('when the client is loaded, then hashed assets are cached for good, gzipped, and the shell is never cached', async () => {
  const assets = await shellAssets();
  expect(assets.length).toBeGreaterThanOrEqual(2);
  for (const asset of assets) {
    const response = await get(asset, { 'accept-encoding': 'gzip' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  }
  // The application's entry script: shared chunks can be smaller than gzip_min_length (256 B).
  const script = await get(
    assets.find((asset) => /^\/main-.*\.js$/.test(asset))!,
    {
      'accept-encoding': 'gzip',
    },
  );
  expect(script.headers.get('content-type')).toMatch(/javascript/);
  expect(script.headers.get('content-encoding')).toBe('gzip');
  expect(script.headers.get('vary')).toMatch(/Accept-Encoding/i);
  for (const path of ['/', '/index.html']) {
    expect((await get(path)).headers.get('cache-control')).toBe('no-cache');
  }
});

test('when a client-side route or a missing asset is asked for, then routes get the app shell and assets a 404', async () => {
  const route = await get('/rooms/abc');
  expect(route.status).toBe(200);
  expect(route.headers.get('content-type')).toMatch(/text\/html/);
  expect(route.headers.get('cache-control')).toBe('no-cache');
  expect(await route.text()).toContain('<app-root>');

  const missing = await get('/main-ZZZZZZZZ.js');
  expect(missing.status).toBe(404);
  expect(missing.headers.get('cache-control')).toBeNull();
});

test('when a room is named like a file (.js, .json, .txt), then its API, page, plain WebSocket and deletion work through nginx', async () => {
  const account = await signUp(stack, 'files');
  const rest = api(stack, account.cookie);

  for (const extension of ['js', 'json', 'txt']) {
    const room = await createRoom(rest, `${uniqueName('notes')}.${extension}`);
    const posted = await postMessage(rest, room.name, `in ${room.name}`);
    const history = await rest.get(messagesPath(room.name));
    const page = await get(`/rooms/${encodeURIComponent(room.name)}`);
    const plain = new WebSocket(
      `${stack.url.replace('http', 'ws')}/ws/${encodeURIComponent(room.name)}`,
      { headers: { authorization: `Bearer ${account.token}` } },
    );
    await once(plain, 'open');
    plain.close();
    const deleted = await rest.delete(`/api/rooms/${encodeURIComponent(room.name)}`);
    const gone = await rest.get(`/api/rooms/${encodeURIComponent(room.name)}`);

    expect(history.body.messages).toEqual([posted]);
    expect(await page.text()).toContain('<app-root>');
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
    expect(gone.body.error?.code).toBe('room_not_found');
  }
});

test('when a body is larger than 64 KiB, then nginx refuses it with the API JSON 413, and one just below passes', async () => {
  const account = await signUp(stack, 'big');
  const rest = api(stack, account.cookie);
  const room = await createRoom(rest);
  const body = (bytes: number) => JSON.stringify({ content: 'x'.repeat(bytes - 20) });

  const tooLarge = await rest.postRaw(messagesPath(room.name), body(64 * 1024 + 100));
  const justBelow = await rest.postRaw(messagesPath(room.name), body(60 * 1024));

  expect(tooLarge.status).toBe(413);
  expect(tooLarge.headers.get('content-type')).toMatch(/application\/json/);
  expect(tooLarge.body.error?.code).toBe('payload_too_large');
  // Past nginx, the service judges it: too long for a message, but not too large a body.
  expect(justBelow.status).toBe(400);
  expect(justBelow.body.error?.code).toBe('validation_failed');
});

test('when nginx itself refuses a request (a malformed path, TRACE), then the answer is the API JSON, not an HTML page', async () => {
  // node:http, not fetch: fetch neither sends TRACE nor leaves a malformed escape alone.
  const raw = (method: string, path: string) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const request = http.request(`${stack.url}${path}`, { method }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            type: response.headers['content-type'] ?? '',
            body,
          }),
        );
      });
      request.on('error', reject);
      request.end();
    });

  const codeOf = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

  const malformed = await raw('GET', '/api/rooms/%ZZ');
  const trace = await raw('TRACE', '/api/auth/me');

  expect(malformed.status).toBe(400);
  expect(malformed.type).toMatch(/application\/json/);
  expect(codeOf(malformed.body)).toBe('validation_failed');
  expect(trace.status).toBe(404);
  expect(trace.type).toMatch(/application\/json/);
  expect(codeOf(trace.body)).toBe('not_found');
});

// Last: it leaves the stack without its website service.
test('when the website service is down, then the API answers the JSON 503 unavailable', async () => {
  process.kill(stack.web.pid, 'SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 200));

  const response = await api(stack).get('/api/rooms');

  expect(response.status).toBe(503);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  expect(response.body.error?.code).toBe('unavailable');
});
