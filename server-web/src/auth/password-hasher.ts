import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** bcrypt, off the event loop and behind everything else that wants the CPU. */
export interface PasswordHasher {
  hash(password: string, cost: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

type Job =
  | { op: 'hash'; password: string; cost: number }
  | { op: 'compare'; password: string; hash: string };
type Reply = { id: number; result: string | boolean } | { id: number; error: string };

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
parentPort.on('message', ({ id, job }) => {
  try {
    const result = job.op === 'hash'
      ? bcrypt.hashSync(job.password, job.cost)
      : bcrypt.compareSync(job.password, job.hash);
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

/**
 * bcrypt on worker threads at the lowest CPU priority, one per core this process may use. A login
 * storm then takes only the CPU that chat (in this process with `npm start`, or beside it on a
 * small machine) leaves idle, and never delays a message by more than a scheduler tick.
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
  const load = new Map<Worker, number>(workers.map((worker) => [worker, 0]));
  const pending = new Map<
    number,
    { resolve(value: string | boolean): void; reject(error: Error): void }
  >();
  let nextId = 0;
  for (const worker of workers) {
    worker.unref();
    worker.on('message', (reply: Reply) => {
      load.set(worker, load.get(worker)! - 1);
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if ('error' in reply) waiter?.reject(new Error(reply.error));
      else waiter?.resolve(reply.result);
    });
    // A worker that dies (out of memory) takes its jobs along: fail them rather than hang.
    worker.on('error', (error) => {
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  }

  const run = (job: Job) =>
    new Promise<string | boolean>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      // The least busy worker: jobs are all about the same size.
      const worker = workers.reduce((best, candidate) =>
        load.get(candidate)! < load.get(best)! ? candidate : best,
      );
      load.set(worker, load.get(worker)! + 1);
      worker.postMessage({ id, job });
    });

  return {
    hash: async (password, cost) => (await run({ op: 'hash', password, cost })) as string,
    compare: async (password, hash) => (await run({ op: 'compare', password, hash })) as boolean,
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
