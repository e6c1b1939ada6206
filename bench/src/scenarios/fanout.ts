// Fan-out: R receivers in rooms of F members, messages offered open loop at a fixed number of
// deliveries per second. Servers: A (Parley, one node or two + Redis), S (Socket.IO relay),
// W (ws relay). Reads server CPU over each measured window, latency at the room's first and
// last member, and checks that every message reached every member exactly once.
import { createHistogram, monitorEventLoopDelay, type RecordableHistogram } from 'node:perf_hooks';
import { roomNamespace } from '@parley/contracts';
import type { Db } from '@parley/db';
import { createRooms, createUsers, type Postgres, type Redis } from '../lib/infra';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nginxLaunch } from '../../../scripts/stack/nginx-launch';
import { launch, stopProcess } from '../../../scripts/stack/service-process';
import {
  cpuMicros,
  pinTree,
  rssBytes,
  SERVER_CORE,
  spawnServer,
  type ServerProcess,
} from '../lib/proc';
import { summarize, type Summary } from '../lib/stats';
import { connectPlain, connectSocketIo, type RawMember } from '../load/sio-client';
import { startChatNode, type ChatNode } from '../servers/parley';
import { freePort } from '../../../test/support/redis-server';
import { ROOT } from '../lib/infra';

export type ServerKind = 'A' | 'A2' | 'S' | 'W';

export interface FanoutServer {
  kind: ServerKind;
  /** The chat processes (one or two nodes, or the relay). */
  chatPids: number[];
  /** Roots of the other server-side process trees (PostgreSQL, Redis). */
  otherPids: number[];
  /** Connects member `index` of room `roomIndex`. */
  connect(
    roomIndex: number,
    index: number,
    onMessage?: (frame: string) => void,
  ): Promise<RawMember>;
  hasAck: boolean;
  /** Messages the database holds per room index (A only): count and distinct clientIds. */
  persisted?(): Promise<Map<number, { count: number; distinct: number }>>;
  stop(): Promise<void>;
}

export interface FanoutWorld {
  postgres: Postgres;
  redis: Redis;
  log(line: string): void;
}

export interface ServerSetup {
  receivers: number;
  fanout: number;
  /** Extra chat environment (variations). */
  env?: Record<string, string>;
  nodeFlags?: string[];
  /** A only: clients connect through nginx (the product's site template), pinned with the rest. */
  viaNginx?: boolean;
}

let databaseCount = 0;

/** Starts `kind` with users and rooms for `receivers` members in rooms of `fanout`. */
export async function startFanoutServer(
  kind: ServerKind,
  world: FanoutWorld,
  setup: ServerSetup,
): Promise<FanoutServer> {
  const roomCount = Math.ceil(setup.receivers / setup.fanout);
  if (kind === 'S' || kind === 'W') {
    const relay = await startRelay(kind === 'S' ? 'socketio-relay' : 'ws-relay', setup);
    const url = relay.url;
    return {
      kind,
      chatPids: [relay.process.pid],
      otherPids: [],
      hasAck: kind === 'S',
      connect: (roomIndex, _index, onMessage) =>
        kind === 'S'
          ? connectSocketIo({
              url,
              namespace: roomNamespace(`room-${roomIndex}`),
              readyEvent: 'history',
              onMessage,
            })
          : connectPlain({ url, path: roomNamespace(`room-${roomIndex}`), onMessage }),
      stop: () => relay.process.stop(),
    };
  }
  const { url: databaseUrl, db } = await world.postgres.createDatabase(
    `bench_fanout_${++databaseCount}`,
  );
  const users = await createUsers(db, setup.receivers);
  const rooms = await createRooms(db, users[0]!.id, roomCount, 'room');
  const roomIndexById = new Map(rooms.map((room, index) => [room.id, index]));
  const nodeCount = kind === 'A2' ? 2 : 1;
  const nodes: ChatNode[] = [];
  for (let n = 0; n < nodeCount; n++) {
    nodes.push(
      await startChatNode({
        databaseUrl,
        redisUrl: kind === 'A2' ? world.redis.url : undefined,
        env: setup.env,
        nodeFlags: setup.nodeFlags,
      }),
    );
  }
  const proxy = setup.viaNginx ? await startNginx(nodes) : undefined;
  const urls = proxy ? [proxy.url] : nodes.map((node) => node.url);
  return {
    kind,
    chatPids: nodes.map((node) => node.process.pid),
    otherPids: [
      world.postgres.pid,
      ...(kind === 'A2' ? [world.redis.pid] : []),
      ...(proxy ? [proxy.pid] : []),
    ],
    hasAck: true,
    connect: (roomIndex, index, onMessage) =>
      connectSocketIo({
        // Two nodes: members alternate, so every room spans both and every message crosses.
        url: urls[index % urls.length]!,
        namespace: roomNamespace(rooms[roomIndex]!.name),
        auth: { token: users[roomIndex * setup.fanout + index]!.token },
        readyEvent: 'history',
        onMessage,
      }),
    persisted: () => persistedPerRoom(db, roomIndexById),
    async stop() {
      await proxy?.stop();
      await Promise.all(nodes.map((node) => node.process.stop()));
      await db.destroy();
    },
  };
}

async function persistedPerRoom(db: Db, roomIndexById: Map<number, number>) {
  const { rows } = await db.raw<{
    rows: { room_id: number; count: string; distinct: string }[];
  }>(
    'SELECT room_id, count(*) AS count, count(DISTINCT client_id) AS distinct FROM messages GROUP BY room_id ORDER BY room_id',
  );
  return new Map(
    rows.map((row) => [
      roomIndexById.get(Number(row.room_id))!,
      { count: Number(row.count), distinct: Number(row.distinct) },
    ]),
  );
}

/** nginx with the product's site in front of the nodes (its /healthz is a node's). */
async function startNginx(nodes: ChatNode[]) {
  const runDir = await mkdtemp(path.join(tmpdir(), 'parley-bench-nginx-'));
  const ports = nodes.map((node) => Number(new URL(node.url).port));
  const spec = await nginxLaunch(runDir, {
    host: '127.0.0.1',
    webPort: ports[0]!,
    chatPorts: ports,
    clientRoot: runDir,
  });
  const { process: nginx, port } = await launch(spec, { cwd: runDir, logDir: runDir });
  pinTree(nginx.pid, String(SERVER_CORE));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: nginx.pid,
    async stop() {
      await stopProcess(nginx);
      await rm(runDir, { recursive: true, force: true });
    },
  };
}

async function startRelay(name: string, setup: ServerSetup) {
  const port = await freePort();
  const relay: ServerProcess = await spawnServer(
    process.execPath,
    [...(setup.nodeFlags ?? []), '--import', 'tsx', `${ROOT}/bench/src/servers/${name}.ts`],
    {
      env: { PATH: process.env.PATH, PORT: String(port), ...setup.env },
      isReady: (output) => output.includes('{"port"'),
    },
  );
  return { url: `http://127.0.0.1:${port}`, process: relay };
}

/** One member of the load: a connection, its room, and whether it is a latency probe. */
interface Member {
  room: number;
  socket: RawMember;
}

export interface WindowResult {
  offered: number;
  /** Deliveries per second received in the window. */
  delivered: number;
  /** Chat process(es) CPU-µs per delivered message. */
  chatCpuPerDelivery: number;
  /** Whole server side (chat + PostgreSQL + Redis). */
  serverCpuPerDelivery: number;
  /** Share of one core the server side used. */
  serverCores: number;
  /** Share of its core the load generator used (it must stay below 1 for the figure to mean much). */
  loadCores: number;
  firstP50Us: number;
  firstP99Us: number;
  lastP50Us: number;
  lastP99Us: number;
  ackP99Us: number;
  /** The load generator's own event-loop delay p99: when high, latency is partly its own. */
  loadLagP99Us: number;
}

export interface LevelResult {
  offered: number;
  windows: WindowResult[];
  /** Summaries over the windows. */
  delivered: Summary;
  chatCpuPerDelivery: Summary;
  serverCpuPerDelivery: Summary;
  firstP99Ms: Summary;
  lastP99Ms: Summary;
  firstP50Ms: Summary;
  ackP99Ms: Summary;
  serverCores: Summary;
  loadCores: Summary;
  isSaturated: boolean;
}

export interface LoadPlan {
  warmupMs: number;
  windowMs: number;
  repetitions: number;
}

const PROBE_ROOMS = 20;
const SENDERS_PER_ROOM = 5;
const PADDING = ' — a benchmark message of ordinary length, about one line of chat';
const SATURATED_P99_US = 250_000;

const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

/**
 * A connected load: `receivers` members in rooms of `fanout` on `server`. Offers loads one after
 * the other on the same connections; the counts carry over, so the exactly-once check spans all.
 */
export async function connectLoad(server: FanoutServer, receivers: number, fanout: number) {
  const roomCount = Math.ceil(receivers / fanout);
  const probeRooms = Math.min(PROBE_ROOMS, roomCount);
  let firstHistogram = createHistogram();
  let lastHistogram = createHistogram();
  let ackHistogram = createHistogram();
  let windowStart = Infinity;
  let windowEnd = Infinity;
  const isMeasured = (intended: number) => intended >= windowStart && intended < windowEnd;
  const probe = (histogram: () => RecordableHistogram) => (frame: string) => {
    const at = frame.indexOf('"content":"t');
    const intended = Number(frame.slice(at + 12, frame.indexOf(' ', at)));
    if (isMeasured(intended)) histogram().record(Math.max(1, nowMicros() - intended));
  };

  const members: Member[] = [];
  // Connect in batches: a thousand handshakes at once would only queue in the server.
  const BATCH = 100;
  for (let from = 0; from < receivers; from += BATCH) {
    const batch = [];
    for (let i = from; i < Math.min(receivers, from + BATCH); i++) {
      const room = Math.floor(i / fanout);
      const index = i % fanout;
      const isProbeRoom = room < probeRooms;
      const onMessage = !isProbeRoom
        ? undefined
        : index === 0
          ? probe(() => firstHistogram)
          : index === Math.min(fanout, receivers - room * fanout) - 1
            ? probe(() => lastHistogram)
            : undefined;
      batch.push(server.connect(room, index, onMessage).then((socket) => ({ room, socket })));
    }
    members.push(...(await Promise.all(batch)));
  }
  const sendersOf = Array.from({ length: roomCount }, (_, room) =>
    members.filter((member) => member.room === room).slice(0, SENDERS_PER_ROOM),
  );
  const sentPerRoom = new Array<number>(roomCount).fill(0);
  const ackedPerRoom = new Array<number>(roomCount).fill(0);
  let failedAcks = 0;
  let sequence = 0;

  const totalFrames = () => members.reduce((sum, member) => sum + member.socket.frames, 0);

  /** Offers `deliveriesPerSecond` for warm-up + repetitions windows; returns each window. */
  async function offer(
    deliveriesPerSecond: number,
    plan: LoadPlan,
    pids: { chat: number[]; other: number[] },
  ): Promise<WindowResult[]> {
    const messagesPerSecond = deliveriesPerSecond / fanout;
    const startedAt = nowMicros();
    const intervalUs = 1e6 / messagesPerSecond;
    const totalMs = plan.warmupMs + plan.repetitions * plan.windowMs;
    let next = 0;
    const sendDue = () => {
      const now = nowMicros();
      for (;;) {
        const intended = startedAt + Math.round(next * intervalUs);
        if (intended > now || intended >= startedAt + totalMs * 1000) break;
        const room = next % roomCount;
        const senders = sendersOf[room]!;
        const sender = senders[Math.floor(next / roomCount) % senders.length]!;
        const clientId = `c${sequence++}`;
        sentPerRoom[room]!++;
        sender.socket.send(
          `t${intended} ${clientId}${PADDING}`,
          clientId,
          server.hasAck
            ? (payload) => {
                if (payload.startsWith('[{"ok":true')) {
                  ackedPerRoom[room]!++;
                  if (isMeasured(intended))
                    ackHistogram.record(Math.max(1, nowMicros() - intended));
                } else failedAcks++;
              }
            : undefined,
        );
        next++;
      }
    };
    const ticker = setInterval(sendDue, 1);
    const results: WindowResult[] = [];
    try {
      await delay(plan.warmupMs);
      for (let rep = 0; rep < plan.repetitions; rep++) {
        firstHistogram = createHistogram();
        lastHistogram = createHistogram();
        ackHistogram = createHistogram();
        const lag = monitorEventLoopDelay({ resolution: 1 });
        lag.enable();
        const before = snapshot(pids, totalFrames());
        windowStart = nowMicros();
        windowEnd = windowStart + plan.windowMs * 1000;
        await delay(plan.windowMs);
        const after = snapshot(pids, totalFrames());
        lag.disable();
        results.push({
          ...windowResult(deliveriesPerSecond, before, after, {
            first: firstHistogram,
            last: lastHistogram,
            ack: ackHistogram,
          }),
          loadLagP99Us: lag.percentile(99) / 1000,
        });
      }
    } finally {
      clearInterval(ticker);
    }
    // Probes may still be receiving the last window's messages: keep recording until drained.
    await drain();
    windowStart = windowEnd = Infinity;
    return results;
  }

  /** Waits until every member holds every message of its room, or progress stops for 3 s. */
  async function drain(): Promise<void> {
    let lastTotal = -1;
    let stillSince = performance.now();
    for (;;) {
      const expected = members.reduce(
        (sum, member) => sum + (server.hasAck ? ackedPerRoom : sentPerRoom)[member.room]!,
        0,
      );
      const total = totalFrames();
      if (total >= expected && pendingAcks() === 0) return;
      if (total !== lastTotal) {
        lastTotal = total;
        stillSince = performance.now();
      } else if (performance.now() - stillSince > 3_000) return;
      await delay(20);
    }
  }
  const pendingAcks = () =>
    server.hasAck
      ? sentPerRoom.reduce((sum, sent, room) => sum + sent - ackedPerRoom[room]!, 0) - failedAcks
      : 0;

  /** Throws unless every member received every message of its room exactly once. */
  async function verify(): Promise<{ messages: number; deliveries: number; failedAcks: number }> {
    // A send acked `unavailable` past its deadline (saturation) may still commit afterwards, and
    // its delivery can trail: read the database again until it and the members agree, or stop
    // changing.
    let persisted = await server.persisted?.();
    const expectedIn = (room: number) =>
      persisted?.get(room)?.count ?? (server.hasAck ? ackedPerRoom : sentPerRoom)[room]!;
    let lastTotal = -1;
    let stillSince = performance.now();
    for (;;) {
      const isComplete = members.every(
        (member) => member.socket.frames === expectedIn(member.room),
      );
      const again = await server.persisted?.();
      const isStored =
        JSON.stringify([...(again ?? [])]) === JSON.stringify([...(persisted ?? [])]);
      persisted = again;
      if (isComplete && isStored) break;
      const total = totalFrames();
      if (total !== lastTotal || !isStored) {
        lastTotal = total;
        stillSince = performance.now();
      } else if (performance.now() - stillSince > 5_000) break;
      await delay(100);
    }
    const problems: string[] = [];
    for (let room = 0; room < roomCount; room++) {
      // A: the database is the truth (an unacked message may still have been committed);
      // every acked one must be there, once. Relays: what was sent (S acked) is what arrives.
      const stored = persisted?.get(room);
      if (stored && stored.count !== stored.distinct) {
        problems.push(`room ${room}: ${stored.count} rows for ${stored.distinct} clientIds`);
      }
      if (stored && stored.count < ackedPerRoom[room]!) {
        problems.push(`room ${room}: ${ackedPerRoom[room]} acked but ${stored.count} stored`);
      }
      const expected = expectedIn(room);
      const wrong = members.filter(
        (member) => member.room === room && member.socket.frames !== expected,
      );
      if (wrong.length > 0) {
        const counts = [...new Set(wrong.map((member) => member.socket.frames))].slice(0, 3);
        problems.push(
          `room ${room}: ${wrong.length} members got ${counts.join('/')} of ${expected}`,
        );
      }
    }
    if (problems.length > 0) {
      throw new Error(`${server.kind} delivered wrongly: ${problems.slice(0, 5).join('; ')}`);
    }
    return {
      messages: sentPerRoom.reduce((a, b) => a + b, 0),
      deliveries: totalFrames(),
      failedAcks,
    };
  }

  return {
    offer,
    verify,
    close() {
      for (const member of members) member.socket.close();
    },
  };
}

interface Snapshot {
  at: number;
  frames: number;
  chatCpu: number;
  serverCpu: number;
  loadCpu: number;
}

function snapshot(pids: { chat: number[]; other: number[] }, frames: number): Snapshot {
  const chatCpu = pids.chat.reduce((sum, pid) => sum + cpuMicros(pid, true), 0);
  const otherCpu = pids.other.reduce((sum, pid) => sum + cpuMicros(pid, true), 0);
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    frames,
    chatCpu,
    serverCpu: chatCpu + otherCpu,
    loadCpu: usage.user + usage.system,
  };
}

function windowResult(
  offered: number,
  before: Snapshot,
  after: Snapshot,
  histograms: Record<'first' | 'last' | 'ack', RecordableHistogram>,
): Omit<WindowResult, 'loadLagP99Us'> {
  const seconds = (after.at - before.at) / 1000;
  const deliveries = after.frames - before.frames;
  const p = (histogram: RecordableHistogram, percentile: number) =>
    histogram.count > 0 ? histogram.percentile(percentile) : NaN;
  return {
    offered,
    delivered: deliveries / seconds,
    chatCpuPerDelivery: (after.chatCpu - before.chatCpu) / deliveries,
    serverCpuPerDelivery: (after.serverCpu - before.serverCpu) / deliveries,
    serverCores: (after.serverCpu - before.serverCpu) / 1e6 / seconds,
    loadCores: (after.loadCpu - before.loadCpu) / 1e6 / seconds,
    firstP50Us: p(histograms.first, 50),
    firstP99Us: p(histograms.first, 99),
    lastP50Us: p(histograms.last, 50),
    lastP99Us: p(histograms.last, 99),
    ackP99Us: p(histograms.ack, 99),
  };
}

export function summarizeLevel(offered: number, windows: WindowResult[]): LevelResult {
  const of = (pick: (window: WindowResult) => number) => summarize(windows.map(pick));
  const delivered = of((w) => w.delivered);
  const firstP99Ms = of((w) => w.firstP99Us / 1000);
  const lastP99Ms = of((w) => w.lastP99Us / 1000);
  return {
    offered,
    windows,
    delivered,
    chatCpuPerDelivery: of((w) => w.chatCpuPerDelivery),
    serverCpuPerDelivery: of((w) => w.serverCpuPerDelivery),
    firstP99Ms,
    lastP99Ms,
    firstP50Ms: of((w) => w.firstP50Us / 1000),
    ackP99Ms: of((w) => w.ackP99Us / 1000),
    serverCores: of((w) => w.serverCores),
    loadCores: of((w) => w.loadCores),
    isSaturated:
      delivered.median < 0.9 * offered ||
      Math.max(firstP99Ms.median, lastP99Ms.median) * 1000 > SATURATED_P99_US,
  };
}

/** RSS of the chat processes, for the record. */
export function chatRss(server: FanoutServer): number {
  return server.chatPids.reduce((sum, pid) => sum + rssBytes(pid), 0);
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
