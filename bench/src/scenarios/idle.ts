// T7: idle authenticated connections. Ramps A and S to the same number of connections (from two
// worker processes on the load core, two loopback source addresses), then reads memory per
// connection (RSS from /proc and the V8 heap, after full GCs through the inspector) and idle CPU.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { roomNamespace } from '@parley/contracts';
import WebSocket from 'ws';
import { createServer, type AddressInfo } from 'node:net';
import { createRooms, createUsers, ROOT, type Postgres } from '../lib/infra';
import { cpuMicros, LOAD_CORE, pinTree, rssBytes, spawnServer } from '../lib/proc';
import { ratio, summarize } from '../lib/stats';
import type { IdleJob, IdleReport } from '../load/idle-worker';
import { startChatNode } from '../servers/parley';
import type { Row } from './rows';

export interface IdleOptions {
  quick: boolean;
  postgres: Postgres;
  log(line: string): void;
}

const ROOM_SIZE = 100;
/** Each process may hold 20,000 descriptors here (hard limit): the server needs a few of its own. */
const FULL_CONNECTIONS = 19_800;

interface IdleResult {
  kind: 'A' | 'S';
  connections: number;
  failed: number;
  rssPerConnection: number;
  /** The same, read after the first full GC only (before V8 has compacted its heap). */
  rssPerConnectionFirstGc: number;
  heapPerConnection: number;
  /** Full GCs until the heap stopped shrinking. */
  gcs: number;
  idleCorePercent: number;
}

export async function runIdleBench(options: IdleOptions): Promise<Row[]> {
  const connections = options.quick ? 500 : FULL_CONNECTIONS;
  // A full run covers one Engine.IO ping cycle (25 s) for both servers, whenever their ramps end.
  const windowMs = options.quick ? 500 : 30_000;
  const results: IdleResult[] = [];
  for (const kind of ['S', 'A'] as const) {
    results.push(await measure(kind, connections, windowMs, options));
    const r = results.at(-1)!;
    options.log(
      `idle ${kind}: ${r.connections} connected, ${r.failed} failed, RSS ${(r.rssPerConnection / 1024).toFixed(1)} KiB/conn, ` +
        `heap ${(r.heapPerConnection / 1024).toFixed(1)} KiB/conn, idle CPU ${r.idleCorePercent.toFixed(2)} % of a core`,
    );
  }
  const [S, A] = results as [IdleResult, IdleResult];
  const one = (value: number) => summarize([value]);
  const rss = ratio(one(A.rssPerConnection), one(S.rssPerConnection));
  const heap = ratio(one(A.heapPerConnection), one(S.heapPerConnection));
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  return [
    {
      id: 'T7-rss',
      scenario: `idle connections: RSS per connection at ${connections}`,
      measured:
        `A ${kib(A.rssPerConnection)}, S ${kib(S.rssPerConnection)} (after ${A.gcs} and ${S.gcs} ` +
        `full GCs; after the first: A ${kib(A.rssPerConnectionFirstGc)}, ` +
        `S ${kib(S.rssPerConnectionFirstGc)})`,
      target: 'A/S ≤ 1.3',
      ratio: rss,
      pass: rss.median <= 1.3,
      detail: { A, S },
    },
    {
      id: 'T7-heap',
      scenario: `idle connections: V8 heap per connection (after GC)`,
      measured: `A ${kib(A.heapPerConnection)}, S ${kib(S.heapPerConnection)}`,
      target: 'A/S ≤ 1.3',
      ratio: heap,
      pass: heap.median <= 1.3,
      detail: {},
    },
    {
      id: 'T7-cpu',
      scenario: `idle connections: server CPU while ${connections} sit idle`,
      measured: `A ${A.idleCorePercent.toFixed(2)} %, S ${S.idleCorePercent.toFixed(2)} % of a core`,
      target: 'A < 5 % of a core',
      pass: A.idleCorePercent < 5,
      detail: {},
    },
    {
      id: 'T7-connect',
      scenario: 'idle connections: connect success',
      measured: `A ${A.connections - A.failed}/${A.connections}, S ${S.connections - S.failed}/${S.connections}`,
      target: '100 %',
      pass: A.failed === 0 && S.failed === 0,
      detail: {},
    },
  ];
}

async function measure(
  kind: 'A' | 'S',
  connections: number,
  windowMs: number,
  options: IdleOptions,
): Promise<IdleResult> {
  // Both ports at once: one found free and released could be handed out again for the other.
  const [port, inspectPort] = await freePorts(2);
  const inspect = [`--inspect=127.0.0.1:${inspectPort}`];
  const rooms = Math.ceil(connections / ROOM_SIZE);
  let members: IdleJob['members'];
  let server: { url: string; pid: number; output(): string; stop(): Promise<void> };
  let closeDb = async () => {};
  if (kind === 'A') {
    const { url: databaseUrl, db } = await options.postgres.createDatabase('bench_idle');
    const users = await createUsers(db, connections);
    const created = await createRooms(db, users[0]!.id, rooms, 'idle');
    members = users.map((user, i) => ({
      namespace: roomNamespace(created[Math.floor(i / ROOM_SIZE)]!.name),
      token: user.token,
    }));
    const node = await startChatNode({ databaseUrl, nodeFlags: inspect, port });
    server = {
      url: node.url,
      pid: node.process.pid,
      output: () => node.process.output(),
      stop: () => node.process.stop(),
    };
    closeDb = () => db.destroy();
  } else {
    members = Array.from({ length: connections }, (_, i) => ({
      namespace: roomNamespace(`idle-${Math.floor(i / ROOM_SIZE)}`),
    }));
    const relay = await spawnServer(
      process.execPath,
      [...inspect, '--import', 'tsx', `${ROOT}/bench/src/servers/socketio-relay.ts`],
      {
        env: { PATH: process.env.PATH, PORT: String(port) },
        isReady: (o) => o.includes('{"port"'),
      },
    );
    server = {
      url: `http://127.0.0.1:${port}`,
      pid: relay.pid,
      output: () => relay.output(),
      stop: () => relay.stop(),
    };
  }
  const workers: ChildProcess[] = [];
  try {
    const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(server.output())?.[1];
    if (!inspector) throw new Error(`no inspector address in:\n${server.output()}`);
    const before = await memory(server.pid, inspector);
    const half = Math.ceil(connections / 2);
    const reports = await Promise.all(
      [members.slice(0, half), members.slice(half)].map(async (part, index) => {
        const worker = fork(path.join(__dirname, '../load/idle-worker.ts'), {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        workers.push(worker);
        pinTree(worker.pid!, String(LOAD_CORE));
        worker.send({
          job: {
            url: server.url,
            members: part,
            localAddress: `127.0.0.${index + 1}`,
            concurrency: 50,
          } satisfies IdleJob,
        });
        const [report] = (await once(worker, 'message')) as [IdleReport];
        return report;
      }),
    );
    const connected = reports.reduce((sum, report) => sum + report.connected, 0);
    const failed = reports.reduce((sum, report) => sum + report.failed, 0);
    if (failed > 0)
      options.log(`idle ${kind}: first failure: ${reports.find((r) => r.firstError)?.firstError}`);
    // Presence settles 1 s after the last join: measure idle after that.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const cpuBefore = cpuMicros(server.pid);
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const idleCorePercent =
      ((cpuMicros(server.pid) - cpuBefore) / ((performance.now() - startedAt) * 1000)) * 100;
    const after = await memory(server.pid, inspector);
    return {
      kind,
      connections,
      failed: connections - connected,
      rssPerConnection: (after.rss - before.rss) / Math.max(1, connected),
      rssPerConnectionFirstGc: (after.rssFirstGc - before.rss) / Math.max(1, connected),
      heapPerConnection: (after.heap - before.heap) / Math.max(1, connected),
      gcs: after.gcs,
      idleCorePercent,
    };
  } finally {
    for (const worker of workers) worker.send({ close: true });
    await Promise.all(
      workers.map((worker) =>
        worker.exitCode === null ? once(worker, 'exit') : Promise.resolve([]),
      ),
    );
    await server.stop();
    await closeDb();
  }
}

/** A full GC that frees less than this share of the heap's committed size ends the settling. */
const SETTLED_SHRINK = 0.01;
const MAX_GCS = 5;

/**
 * RSS from /proc and the V8 heap in use, once full GCs stop shrinking the heap. One full GC
 * evacuates only some fragmented pages: after A's authenticated ramp the first left 26–118 MB of
 * its old space free but committed across identical runs, and each further GC compacted more
 * (heap committed 341 → 306 → 293 → 293 MB in one run; S's stayed at 228). An idle process gets
 * there by itself: two minutes later, V8's memory reducer had, and the first GC found 290 MB.
 */
async function memory(
  pid: number,
  inspector: string,
): Promise<{ rss: number; heap: number; rssFirstGc: number; gcs: number }> {
  const socket = new WebSocket(inspector);
  await once(socket, 'open');
  let nextId = 1;
  const call = (method: string) =>
    new Promise<Record<string, number>>((resolve) => {
      const id = nextId++;
      const onMessage = (data: Buffer) => {
        const reply = JSON.parse(data.toString()) as {
          id?: number;
          result: Record<string, number>;
        };
        if (reply.id !== id) return;
        socket.off('message', onMessage);
        resolve(reply.result);
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id, method }));
    });
  const collect = async () => {
    await call('HeapProfiler.collectGarbage');
    const { usedSize, totalSize } = await call('Runtime.getHeapUsage');
    return { heap: usedSize!, committed: totalSize!, rss: rssBytes(pid) };
  };
  try {
    const first = await collect();
    let last = first;
    let gcs = 1;
    while (gcs < MAX_GCS) {
      const next = await collect();
      gcs++;
      const isSettled = last.committed - next.committed < last.committed * SETTLED_SHRINK;
      last = next;
      if (isSettled) break;
    }
    return { rss: last.rss, heap: last.heap, rssFirstGc: first.rss, gcs };
  } finally {
    socket.close();
  }
}

/** `count` distinct free ports, all held open while the others are found. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
