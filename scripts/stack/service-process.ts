import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** A process of the local stack: a service (node) or nginx. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** The last lines it wrote (stdout and stderr), for error messages. */
  recentOutput(): string;
  /** Sends `signal` (SIGTERM unless given); resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves when it exits by itself or is killed. */
  readonly exited: Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Every output line is appended here. */
  logFile: string;
  /** And handed here (the stack command echoes them, tests keep quiet). */
  onOutput?: (name: string, line: string) => void;
  /**
   * Sent when this process exits without stopping it: SIGKILL by default, since a graceful stop
   * would log to the pipe this process no longer reads (and hang on it). nginx needs SIGTERM: its
   * workers outlive a killed master, and keep the port.
   */
  signalOnExit?: NodeJS.Signals;
}

const RECENT_LINES = 40;

// Whatever ends the stack's owner without stop() (a crash, a test timeout) takes these along.
const running = new Map<ChildProcess, NodeJS.Signals>();
process.on('exit', () => {
  for (const [child, signal] of running) child.kill(signal);
});

/**
 * Starts a process in a process group of its own, so that a Ctrl-C in the terminal reaches only
 * the stack command, which then stops everything in order.
 */
export function spawnService(options: SpawnOptions): ServiceProcess {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`${options.name} could not be started`);
  running.set(child, options.signalOnExit ?? 'SIGKILL');
  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.write(`${line}\n`);
      recent.push(line);
      if (recent.length > RECENT_LINES) recent.shift();
      options.onOutput?.(options.name, line);
    });
  }
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      log.end();
      resolve();
    }),
  );
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name: options.name,
    pid: child.pid,
    recentOutput: () => recent.join('\n'),
    exited,
    async kill(signal = 'SIGTERM') {
      if (!hasExited()) child.kill(signal);
      await exited;
    },
  };
}

/** A port nobody listens on right now (the OS picks it; it is released before returning). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Resolves once `url` answers 200; rejects when the process exits first or at the deadline,
 * with what it last wrote.
 */
export async function waitUntilHealthy(
  service: ServiceProcess,
  url: string,
  timeoutMs = 30_000,
): Promise<void> {
  let hasExited = false;
  void service.exited.then(() => (hasExited = true));
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (hasExited) {
      throw new Error(`${service.name} exited while starting:\n${service.recentOutput()}`);
    }
    const status = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      async (response) => {
        await response.body?.cancel();
        return response.status;
      },
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await service.kill('SIGKILL');
  throw new Error(
    `${service.name} did not answer ${url} within ${timeoutMs} ms:\n${service.recentOutput()}`,
  );
}

/** How to start one process of the stack on a given port. */
export interface Launch {
  name: string;
  command: string;
  args: (port: number) => string[];
  env: (port: number) => NodeJS.ProcessEnv;
  healthUrl: (port: number) => string;
  /** Runs before each start on `port` (nginx writes its configuration for it). */
  prepare?: (port: number) => Promise<void>;
  signalOnExit?: NodeJS.Signals;
}

export interface Started {
  process: ServiceProcess;
  port: number;
}

const PORT_ATTEMPTS = 3;
/** Past the services' own 10 s shutdown limit: then they are killed. */
const STOP_TIMEOUT_MS = 12_000;

/**
 * Starts the process on `at.port`, or on a free port when none is given, trying another should
 * someone take the free one first; resolves once it answers its health URL.
 */
export async function launch(
  spec: Launch,
  at: { cwd: string; logDir: string; port?: number; onOutput?: SpawnOptions['onOutput'] },
): Promise<Started> {
  for (let attempt = 1; ; attempt += 1) {
    const port = at.port || (await freePort());
    await spec.prepare?.(port);
    const service = spawnService({
      name: spec.name,
      command: spec.command,
      args: spec.args(port),
      cwd: at.cwd,
      env: spec.env(port),
      logFile: path.join(at.logDir, `${spec.name}.log`),
      onOutput: at.onOutput,
      signalOnExit: spec.signalOnExit,
    });
    try {
      await waitUntilHealthy(service, spec.healthUrl(port));
      return { process: service, port };
    } catch (error) {
      const isPortTaken = /EADDRINUSE|Address already in use/.test(service.recentOutput());
      if (at.port || !isPortTaken || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/** SIGTERM, then SIGKILL if it has not exited within 12 s. */
export async function stopProcess(service: ServiceProcess): Promise<void> {
  const timer = setTimeout(() => void service.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await service.kill('SIGTERM');
  clearTimeout(timer);
}
