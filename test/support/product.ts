import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Runs the product as `npm start` does (scripts/start.ts), for tests. */
const ROOT = path.resolve(__dirname, '../..');
/** tsx as a loader of this Node process: signals reach the product itself, as in `npm start`. */
const TSX_LOADER = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface OsUser {
  uid: number;
  gid: number;
}

export function spawnStart(
  cwd: string,
  env: Record<string, string>,
  user?: OsUser,
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'scripts', 'start.ts')], {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: user ? cwd : process.env.HOME,
      LOG_LEVEL: 'warn',
      BCRYPT_COST: '4',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
}

/** Runs `npm start`'s script in `cwd` (as `user` when given) and resolves once it prints its URL. */
export function startProduct(
  cwd: string,
  port: number,
  user?: OsUser,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnStart(cwd, { PORT: String(port), ...env }, user);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Parley is running at (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]!.replace('localhost', '127.0.0.1') });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}

export function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}
