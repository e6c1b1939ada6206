import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { dropDatabase, SERVER_URL } from '../support/databases';
import { freePort } from '../support/product';
import { startRedisServer, type RedisProcess } from '../support/redis-server';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const START_TIMEOUT_MS = 60_000;

let workDir: string;
let redis: RedisProcess;
const databaseName = `parley_stack_cli_${Date.now()}`;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'parley-stack-cli-'));
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis?.stop();
  await dropDatabase(databaseName);
  await rm(workDir, { recursive: true, force: true });
});

type Command = ChildProcessByStdio<null, Readable, Readable>;

/** Resolves with everything printed once `pattern` shows up in the output. */
function waitForOutput(child: Command, pattern: RegExp): Promise<string> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${String(pattern)} in time:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!pattern.test(output)) return;
      clearTimeout(timer);
      resolve(output);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`npm run stack exited with ${code}:\n${output}`)),
    );
  });
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('when `npm run stack` starts on a new database and gets Ctrl-C, then it serves, and stops everything it started', async () => {
  // Arrange: a database that does not exist yet, no JWT_SECRET, a port of our choosing.
  const port = await freePort();
  const databaseUrl = new URL(SERVER_URL);
  databaseUrl.pathname = `/${databaseName}`;
  // Its own process group, as in a terminal: Ctrl-C is SIGINT to the whole group.
  const child: Command = spawn(TSX, [path.join(ROOT, 'scripts/stack.ts')], {
    cwd: workDir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: redis.url,
      LOG_LEVEL: 'warn',
      BCRYPT_COST: '4',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let pids = new Map<string, number>();

  try {
    // Act
    const output = await waitForOutput(child, /logs and nginx\.conf in \S+\n/);
    const url = /Parley is running at (http:\/\/\S+)/.exec(output)![1]!;
    pids = new Map(
      [...output.matchAll(/(nginx|web|chat-\d) (\d+)/g)].map(([, name, pid]) => [
        name!,
        Number(pid),
      ]),
    );
    const runDir = /logs and nginx.conf in (\S+)/.exec(output)![1]!;
    const base = url.replace('localhost', '127.0.0.1');
    const health = await fetch(`${base}/healthz`);
    const shell = await fetch(`${base}/rooms/abc`);
    process.kill(-child.pid!, 'SIGINT');

    // Assert: it served through nginx, made its secret, and left nothing running behind.
    expect(url).toBe(`http://localhost:${port}`);
    expect(health.status).toBe(200);
    expect(await shell.text()).toContain('<app-root>');
    expect([...pids.keys()]).toEqual(['nginx', 'web', 'chat-1', 'chat-2']);
    expect((await readFile(path.join(workDir, '.data/jwt-secret'), 'utf8')).trim().length).toBe(64);
    expect(await exited).toBe(0);
    expect([...pids.values()].filter(isRunning)).toEqual([]);
    expect(existsSync(runDir)).toBe(false);
  } finally {
    // Should an assertion fail first: stop it as Ctrl-C would, then by pid (never by name).
    if (child.exitCode === null) {
      process.kill(-child.pid!, 'SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    }
    for (const [name, pid] of pids) {
      if (isRunning(pid)) process.kill(pid, name === 'nginx' ? 'SIGTERM' : 'SIGKILL');
    }
  }
}, 90_000);
