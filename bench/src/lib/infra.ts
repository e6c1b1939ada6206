// The server side every scenario stands on: a PostgreSQL and a Redis of the benchmark's own,
// pinned to the server core, a migrated database, bench users with session tokens, and rooms.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb, migrateLatest, type Db } from '@parley/db';
import { signSession } from '@parley/server-kit';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../../scripts/embedded-postgres';
import { freePort, pingRedis } from '../../../test/support/redis-server';
import { pinTree, SERVER_CORE } from './proc';

export const BENCH_SECRET = 'bench-only-secret-bench-only-secret-0123456789';
export const ROOT = path.resolve(__dirname, '../../..');

export interface Postgres {
  /** Server URL without a database. */
  serverUrl: string;
  /** The postmaster: its process tree is the whole PostgreSQL. */
  pid: number;
  createDatabase(name: string): Promise<{ url: string; db: Db }>;
  stop(): Promise<void>;
}

/** A private PostgreSQL cluster (defaults: synchronous_commit on, fsync on) pinned to core 0. */
export async function startPostgres(): Promise<Postgres> {
  // /tmp is writable by the `postgres` OS user, which runs the cluster when we are root.
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-bench-pg-'));
  await chmod(dataDir, 0o755);
  const embedded = await startEmbeddedPostgres({ dataDir, database: 'postgres' });
  const serverUrl = embedded.databaseUrl.replace(/\/postgres$/, '');
  const pid = Number(
    (await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0],
  );
  pinTree(pid, String(SERVER_CORE));
  return {
    serverUrl,
    pid,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${name}"`);
      await admin.end();
      const url = `${serverUrl}/${name}`;
      const db = createDb({ databaseUrl: url });
      await migrateLatest(db);
      // Backends forked since the last pin (this one, the migrator's) belong on the server core too.
      pinTree(pid, String(SERVER_CORE));
      return { url, db };
    },
    async stop() {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Redis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** A private redis-server on the server core (nothing on disk). */
export async function startRedis(): Promise<Redis> {
  const port = await freePort();
  const child = spawn(
    'taskset',
    [
      ...['-c', String(SERVER_CORE), 'redis-server', '--port', String(port)],
      ...['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ],
    { stdio: 'ignore' },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  for (let waited = 0; !(await pingRedis(port)); waited += 10) {
    if (waited > 10_000) throw new Error('redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      process.off('exit', killOnExit);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface BenchUser {
  id: number;
  username: string;
  token: string;
}

/** `count` users with session tokens (no bcrypt: the password hash is never checked here). */
export async function createUsers(db: Db, count: number, prefix = 'bench'): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let from = 0; from < count; from += 5_000) {
    const rows = await db('users')
      .insert(
        Array.from({ length: Math.min(5_000, count - from) }, (_, i) => ({
          email: `${prefix}${from + i}@bench.example`,
          username: `${prefix}${from + i}`,
          hashed_password: '!',
        })),
      )
      .returning<{ id: number; username: string }[]>(['id', 'username']);
    for (const row of rows)
      users.push({ ...row, token: signSession(row, BENCH_SECRET, 86_400).token });
  }
  return users;
}

export interface BenchRoom {
  id: number;
  name: string;
}

export async function createRooms(db: Db, ownerId: number, count: number, prefix: string) {
  return db('chat_rooms')
    .insert(
      Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i}`, owner_id: ownerId })),
    )
    .returning<BenchRoom[]>(['id', 'name']);
}
