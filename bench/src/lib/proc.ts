// What the benchmark reads of its processes: CPU time from /proc/<pid>/stat, memory from
// /proc/<pid>/status, and core placement with taskset (server side on core 0, load on core 1).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
export const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const MICROS_PER_TICK = 1e6 / TICKS_PER_SECOND;

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

interface StatFields {
  ppid: number;
  /** utime + stime of the process itself, µs. */
  cpuMicros: number;
  /** cutime + cstime: children that exited and were reaped, µs. */
  reapedChildrenMicros: number;
}

function readStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone
  }
  // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (field: number) => Number(fields[field - 3]);
  return {
    ppid: at(4),
    cpuMicros: (at(14) + at(15)) * MICROS_PER_TICK,
    reapedChildrenMicros: (at(16) + at(17)) * MICROS_PER_TICK,
  };
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const tree: number[] = [];
  const walk = (current: number) => {
    tree.push(current);
    for (const child of children.get(current) ?? []) walk(child);
  };
  walk(pid);
  return tree;
}

/** CPU time (µs) a process has used; with `withTree`, its descendants' too, exited ones included. */
export function cpuMicros(pid: number, withTree = false): number {
  if (!withTree) return readStat(pid)?.cpuMicros ?? 0;
  let total = readStat(pid)?.reapedChildrenMicros ?? 0;
  for (const member of processTree(pid)) total += readStat(member)?.cpuMicros ?? 0;
  return total;
}

/** Resident set size of one process, bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/** Pins a process, all its threads and every process below it to `cores` (e.g. '0' or '0,1'). */
export function pinTree(pid: number, cores: string): void {
  for (const member of processTree(pid)) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', cores, String(member)], { stdio: 'ignore' });
    } catch {
      // the process ended meanwhile
    }
  }
}

/** Pins this process (the load generator) to the load core. */
export function pinSelf(): void {
  pinTree(process.pid, String(LOAD_CORE));
}

/** The cores this machine has, as taskset wants them ('0-1'). */
export function allCores(): string {
  return execFileSync('nproc', ['--all'], { encoding: 'utf8' }).trim() === '1'
    ? '0'
    : `0-${Number(execFileSync('nproc', ['--all'], { encoding: 'utf8' })) - 1}`;
}

export interface ServerProcess {
  pid: number;
  child: ChildProcess;
  /** The lines it printed, for errors. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns a server-side process pinned to the server core, waiting until `isReady` sees its
 * output. It dies with this process.
 */
export async function spawnServer(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; isReady: (output: string) => boolean; timeoutMs?: number },
): Promise<ServerProcess> {
  const child = spawn('taskset', ['-c', String(SERVER_CORE), command, ...args], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command} ${args.join(' ')} did not start:\n${output}`)),
      options.timeoutMs ?? 30_000,
    );
    const onData = (data: Buffer) => {
      output = (output + data.toString()).slice(-20_000);
      if (options.isReady(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}:\n${output}`));
    });
  });
  return {
    pid: child.pid!,
    child,
    output: () => output,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
