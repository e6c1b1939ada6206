// T8's two servers, A (Parley, group commit) and N (one INSERT per message): each on a fresh
// database with its users and rooms, and the options they start from.
import { roomNamespace } from '@parley/contracts';
import type { Db } from '@parley/db';
import { ROOT, createRooms, createUsers, type Postgres } from '../lib/infra';
import { spawnServer } from '../lib/proc';
import { connectSocketIo, type RawMember } from '../load/sio-client';
import { startChatNode } from '../servers/parley';
import { freePort } from '../../../test/support/redis-server';

export interface WritesOptions {
  quick: boolean;
  postgres: Postgres;
  log(line: string): void;
  /** Node flags for A's chat nodes (e.g. --cpu-prof), to profile a run. */
  chatNodeFlags?: string[];
}

export type Kind = 'A' | 'N';

export interface Shape {
  name: 'across-rooms' | 'hot-room';
  rooms: number;
  /** Every member sends and receives. */
  sendersPerRoom: number;
}

export interface WriteServer {
  kind: Kind;
  chatPid: number;
  db: Db;
  roomIds: number[];
  connect(room: number, member: number): Promise<RawMember>;
  stop(): Promise<void>;
}

let databaseCount = 0;

export async function startWriteServer(
  kind: Kind,
  shape: Shape,
  options: WritesOptions,
  env: Record<string, string> = {},
): Promise<WriteServer> {
  const { url: databaseUrl, db } = await options.postgres.createDatabase(
    `bench_writes_${++databaseCount}`,
  );
  try {
    const users = await createUsers(db, shape.rooms * shape.sendersPerRoom, 'writer');
    const rooms = await createRooms(db, users[0]!.id, shape.rooms, 'writes');
    const node =
      kind === 'A'
        ? await startChatNode({ databaseUrl, env, nodeFlags: options.chatNodeFlags })
        : await startNaiveInsert(databaseUrl);
    return {
      kind,
      chatPid: node.process.pid,
      db,
      roomIds: rooms.map((room) => room.id),
      connect: (room, member) =>
        connectSocketIo({
          url: node.url,
          namespace: roomNamespace(rooms[room]!.name),
          auth: { token: users[room * shape.sendersPerRoom + member]!.token },
          readyEvent: 'history',
        }),
      async stop() {
        await node.process.stop();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

async function startNaiveInsert(databaseUrl: string) {
  const port = await freePort();
  const process_ = await spawnServer(
    process.execPath,
    ['--import', 'tsx', `${ROOT}/bench/src/servers/naive-insert.ts`],
    {
      env: { PATH: process.env.PATH, PORT: String(port), DATABASE_URL: databaseUrl },
      isReady: (output) => output.includes('{"port"'),
    },
  );
  return { url: `http://127.0.0.1:${port}`, process: process_ };
}
