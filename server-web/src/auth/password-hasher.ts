import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** bcrypt, off the event loop and behind everything else that wants the CPU. */
export interface PasswordHasher {
  hash(password: string, cost: number): Promise<string>;
  /** `client` (e.g. an IP address): hashes are shared out in turns between clients. */
  compare(password: string, hash: string, client?: string): Promise<boolean>;
  close(): Promise<void>;
}

type Job =
  | { op: 'hash'; password: string; cost: number }
  | { op: 'compare'; password: string; hash: string };
type Reply = { result: string | boolean } | { error: string };

/** The lowest CPU priority (nice 19): a login waits a little, chat on the same core does not. */
const LOWEST_PRIORITY = 19;

// Plain JavaScript, so the worker starts the same under tsx and from compiled code. Each worker
// lowers its own thread's priority (Linux: a thread id is a pid to setpriority) and then hashes
// with native bcrypt's synchronous calls, which block only this thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
try {
  const threadId = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(threadId, workerData.priority);
} catch {
  // not Linux: the worker still keeps bcrypt off the event loop
}
parentPort.on('message', (job) => {
  try {
    const result = job.op === 'hash'
      ? bcrypt.hashSync(job.password, job.cost)
      : bcrypt.compareSync(job.password, job.hash);
    parentPort.postMessage({ result });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
});
`;

interface Queued {
  job: Job;
  /** Its client's turn: one round after the client's previous job, and never in the past. */
  round: number;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

/** More clients than this remembered: those whose last turn is past are forgotten. */
const REMEMBERED_CLIENTS = 1_000;

/**
 * bcrypt on worker threads at the lowest CPU priority, one per core this process may use. A login
 * storm then takes only the CPU that chat (in this process with `npm start`, or beside it on a
 * small machine) leaves idle, and never delays a message by more than a scheduler tick. Each
 * worker hashes one job at a time, and waiting jobs take turns by client (start-time fair
 * queuing): one client's hundred sign-ins do not stand between anyone else and theirs.
 */
export function createPasswordHasher(threads = availableParallelism()): PasswordHasher {
  const workers = Array.from(
    { length: Math.max(1, threads) },
    () =>
      new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { bcryptPath: require.resolve('bcrypt'), priority: LOWEST_PRIORITY },
      }),
  );
  const idle = [...workers];
  const running = new Map<Worker, Queued>();
  const waiting: Queued[] = [];
  const lastRound = new Map<string, number>();
  let round = 0;

  const dispatch = () => {
    while (idle.length > 0 && waiting.length > 0) {
      // The earliest round, and within it the earliest arrival.
      let next = 0;
      for (let i = 1; i < waiting.length; i++) {
        if (waiting[i]!.round < waiting[next]!.round) next = i;
      }
      const queued = waiting.splice(next, 1)[0]!;
      round = queued.round;
      const worker = idle.pop()!;
      running.set(worker, queued);
      worker.postMessage(queued.job);
    }
    if (lastRound.size > REMEMBERED_CLIENTS) {
      for (const [client, last] of lastRound) if (last < round) lastRound.delete(client);
    }
  };

  for (const worker of workers) {
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const queued = running.get(worker);
      running.delete(worker);
      idle.push(worker);
      // One job per worker at a time: the reply is to the job it was given.
      if ('error' in reply) queued?.reject(new Error(reply.error));
      else queued?.resolve(reply.result);
      dispatch();
    });
    // A worker that dies (out of memory) fails its job and leaves the pool; if it was the last,
    // what waits fails too rather than hang.
    worker.on('error', (error) => {
      running.get(worker)?.reject(error);
      running.delete(worker);
      workers.splice(workers.indexOf(worker), 1);
      if (workers.length > 0) return;
      for (const queued of waiting.splice(0)) queued.reject(error);
    });
  }

  const run = (job: Job, client = '') =>
    new Promise<string | boolean>((resolve, reject) => {
      if (workers.length === 0) {
        reject(new Error('no password hashing thread is left'));
        return;
      }
      const turn = Math.max(round, (lastRound.get(client) ?? -1) + 1);
      lastRound.set(client, turn);
      waiting.push({ job, round: turn, resolve, reject });
      dispatch();
    });

  return {
    hash: async (password, cost) => (await run({ op: 'hash', password, cost })) as string,
    compare: async (password, hash, client) =>
      (await run({ op: 'compare', password, hash }, client)) as boolean,
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
