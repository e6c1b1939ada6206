// The fan-out servers: A (Parley, one node or two + Redis, optionally behind nginx), S (the
// Socket.IO relay) and W (the ws relay), each started with users and rooms for a load.
import { roomNamespace } from '@parley/contracts';
import type { Db } from '@parley/db';
import { createRooms, createUsers, ROOT, type Postgres, type Redis } from '../lib/infra';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nginxLaunch } from '../../../scripts/stack/nginx-launch';
import { launch, stopProcess } from '../../../scripts/stack/service-process';
import { pinTree, rssBytes, SERVER_CORE, spawnServer, type ServerProcess } from '../lib/proc';
import { connectPlain, connectSocketIo, type RawMember } from '../load/sio-client';
import { startChatNode, type ChatNode } from '../servers/parley';
import { freePort } from '../../../test/support/redis-server';

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
  /** Messages the database holds per room index (A only). */
  persisted?(): Promise<Map<number, Persisted>>;
  stop(): Promise<void>;
}

export interface Persisted {
  count: number;
  /** Distinct clientIds. */
  distinct: number;
  /** The highest stored seq, and the room's own counter (equal unless seqs were skipped). */
  maxSeq: number;
  lastSeq: number;
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

async function persistedPerRoom(
  db: Db,
  roomIndexById: Map<number, number>,
): Promise<Map<number, Persisted>> {
  const { rows } = await db.raw<{
    rows: { room_id: number; count: string; distinct: string; max_seq: string; last_seq: string }[];
  }>(
    `SELECT m.room_id, count(*) AS count, count(DISTINCT m.client_id) AS distinct,
       max(m.seq) AS max_seq, (SELECT r.last_seq FROM chat_rooms r WHERE r.id = m.room_id) AS last_seq
     FROM messages m GROUP BY m.room_id ORDER BY m.room_id`,
  );
  return new Map(
    rows.map((row) => [
      roomIndexById.get(Number(row.room_id))!,
      {
        count: Number(row.count),
        distinct: Number(row.distinct),
        maxSeq: Number(row.max_seq),
        lastSeq: Number(row.last_seq),
      },
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

/** RSS of the chat processes, for the record. */
export function chatRss(server: FanoutServer): number {
  return server.chatPids.reduce((sum, pid) => sum + rssBytes(pid), 0);
}
