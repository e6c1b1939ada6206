import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { roomNamespace } from '@parley/contracts';
import pg from 'pg';
import { io } from 'socket.io-client';
import { createTestDatabase } from './support/databases';
import { freePort, spawnStart, startProduct, stop } from './support/product';

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('npm start', () => {
  let workDir: string;
  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'parley-start-'));
    // As root the embedded PostgreSQL runs as the postgres user, who must reach ./.data/pg.
    await chmod(workDir, 0o755);
  });
  afterAll(() => rm(workDir, { recursive: true, force: true }));

  test('when started on a fresh folder, then it serves the API on an embedded database and keeps its data across restarts', async () => {
    const port = await freePort();
    const credentials = { email: `start-${Date.now()}@example.org`, password: 'password1' };

    const first = await startProduct(workDir, port);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    const registered = await fetch(
      `${first.url}/api/auth/register`,
      json({ ...credentials, username: 'starter' }),
    );
    expect(registered.status).toBe(201);
    const firstCookie = registered.headers.get('set-cookie')!.split(';')[0]!;
    expect(await stop(first.child)).toBe(0);

    const second = await startProduct(workDir, port);
    const login = await fetch(`${second.url}/api/auth/login`, json(credentials));
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const rooms = await fetch(`${second.url}/api/rooms`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(rooms.status).toBe(200);
    // The chat service answers on the same origin.
    const room = await fetch(`${second.url}/api/rooms`, {
      ...json({ name: 'lobby' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
    expect(room.status).toBe(201);
    const socket = io(`${second.url}${roomNamespace('lobby')}`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
    });
    const history = await new Promise<unknown>((resolve, reject) => {
      socket.once('history', resolve);
      socket.once('connect_error', reject);
    });
    socket.close();
    expect(history).toEqual({ messages: [] });
    // The development secret was kept in ./.data: the first run's session is still valid.
    const me = await fetch(`${second.url}/api/auth/me`, { headers: { cookie: firstCookie } });
    expect(me.status).toBe(200);
    expect(await stop(second.child)).toBe(0);
  }, 120_000);

  test('when DATABASE_URL is set, then it uses that database and embeds none', async () => {
    const database = await createTestDatabase();
    const externalDir = await mkdtemp(path.join(os.tmpdir(), 'parley-external-'));
    try {
      const { child, url } = await startProduct(externalDir, await freePort(), undefined, {
        DATABASE_URL: database.url,
      });
      const registered = await fetch(
        `${url}/api/auth/register`,
        json({ email: 'ext@example.org', username: 'external', password: 'password1' }),
      );
      expect(registered.status).toBe(201);
      expect(await stop(child)).toBe(0);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query('SELECT username FROM users');
      await client.end();
      expect(rows).toEqual([{ username: 'external' }]);
      expect(existsSync(path.join(externalDir, '.data', 'pg'))).toBe(false);
    } finally {
      await rm(externalDir, { recursive: true, force: true });
      await database.drop();
    }
  }, 60_000);

  test('when NODE_ENV=production has no JWT_SECRET, then it refuses to start and says why', async () => {
    const child = spawnStart(workDir, {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://127.0.0.1:1/none',
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toContain('JWT_SECRET must be set to at least 32 bytes');
  });

  // Under root the test above is the root case; this one is a normal user's (the embedded
  // PostgreSQL then runs initdb and postgres itself rather than through the postgres OS user).
  const runsAsRoot = process.getuid?.() === 0;
  (runsAsRoot ? test : test.skip)(
    'when run by a normal user, then it starts and serves too',
    async () => {
      const normalUser = {
        uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
        gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
      };
      const userDir = await mkdtemp(path.join(os.tmpdir(), 'parley-user-'));
      await chown(userDir, normalUser.uid, normalUser.gid);
      try {
        const { child, url } = await startProduct(userDir, await freePort(), normalUser);
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
        expect((await stat(path.join(userDir, '.data', 'jwt-secret'))).uid).toBe(normalUser.uid);
        expect(await stop(child)).toBe(0);
      } finally {
        await rm(userDir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
