// A first load figure for one chat node: `npx tsx bench/chat-load.ts [--clients 100] [--rooms 10]
// [--rate 10] [--seconds 10]`. The node runs in its own process (npm run start:chat); this process
// is the load generator. Each client sends `rate` messages per second (open loop) into its room
// and counts every broadcast it receives; ack latency is measured from emit to ack.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  roomNamespace,
  type ClientToServerEvents,
  type MessageAck,
  type ServerToClientEvents,
} from '@parley/contracts';
import { createKnexConfig } from '@parley/db';
import { signSession } from '@parley/server-kit';
import knex from 'knex';
import { io, type Socket } from 'socket.io-client';
import { createTestDatabase } from '../test/support/databases';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    rooms: { type: 'string', default: '10' },
    rate: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
  },
});
const CLIENTS = Number(values.clients);
const ROOMS = Number(values.rooms);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const SECRET = 'bench-secret-bench-secret-bench-secret!';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  probe.close();
  return port;
}

async function main(): Promise<void> {
  const database = await createTestDatabase('parley_bench');
  const db = knex(createKnexConfig({ DATABASE_URL: database.url }));
  await db.migrate.latest();
  const users = await db('users')
    .insert(
      Array.from({ length: CLIENTS }, (_, i) => ({
        email: `bench${i}@example.org`,
        username: `bench${i}`,
        hashed_password: 'not-used',
      })),
    )
    .returning<{ id: number; username: string }[]>(['id', 'username']);
  const rooms = await db('chat_rooms')
    .insert(
      Array.from({ length: ROOMS }, (_, i) => ({
        name: `bench-room-${i}`,
        owner_id: users[0]!.id,
      })),
    )
    .returning<{ id: number; name: string }[]>(['id', 'name']);

  const port = await freePort();
  const node = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, '../server-chat/src/main.ts')],
    {
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_URL: database.url,
        JWT_SECRET: SECRET,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok) break;
    if (i > 200) throw new Error('chat node did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  let received = 0;
  const sockets: Socket<ServerToClientEvents, ClientToServerEvents>[] = [];
  for (const [i, user] of users.entries()) {
    const room = rooms[i % ROOMS]!;
    const { token } = signSession(user, SECRET, 3600);
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(
      url + roomNamespace(room.name),
      {
        auth: { token },
        transports: ['websocket'],
        forceNew: true,
      },
    );
    socket.on('message', () => received++);
    await new Promise((resolve) => socket.once('history', resolve));
    sockets.push(socket);
  }

  const latencies: number[] = [];
  let failed = 0;
  const startedAt = performance.now();
  const sends = sockets.map(async (socket, i) => {
    // Open loop: each send leaves at its planned time, whether or not earlier ones were acked.
    const pending: Promise<void>[] = [];
    for (let n = 0; n < RATE * SECONDS; n++) {
      const plannedAt = startedAt + (n * 1000) / RATE + (i * 1000) / RATE / CLIENTS;
      const wait = plannedAt - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(
        socket
          .timeout(10_000)
          .emitWithAck('message', { content: `m${n} from ${i}`, clientId: `${i}-${n}` })
          .then(
            (ack: MessageAck) =>
              ack.ok ? latencies.push(performance.now() - plannedAt) : failed++,
            () => failed++,
          )
          .then(() => undefined),
      );
    }
    await Promise.all(pending);
  });
  await Promise.all(sends);
  const elapsedS = (performance.now() - startedAt) / 1000;
  const { count } = (await db('messages').count({ count: '*' }).first()) as { count: number };
  latencies.sort((a, b) => a - b);
  const expectedDeliveries = Number(count) * (CLIENTS / ROOMS);
  for (let i = 0; received < expectedDeliveries && i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const batches = await (await fetch(`${url}/metrics`)).text();
  const batchLine = (name: string) =>
    Number(
      /^chat_batch_size_(\w+) (\S+)$/m.exec(
        batches
          .split('\n')
          .filter((l) => l.startsWith(`chat_batch_size_${name}`))
          .join('\n'),
      )?.[2],
    );
  process.stdout.write(
    [
      `one chat node, ${CLIENTS} clients in ${ROOMS} rooms, ${RATE} msg/s each, ${SECONDS} s`,
      `acked ok: ${latencies.length}, failed: ${failed}, persisted: ${count} (${(Number(count) / elapsedS).toFixed(0)} msg/s)`,
      `ack latency ms: p50 ${percentile(latencies, 50).toFixed(2)}  p99 ${percentile(latencies, 99).toFixed(2)}  max ${latencies.at(-1)?.toFixed(2)}`,
      `deliveries: ${received} of ${expectedDeliveries}`,
      `batches: ${batchLine('count')}, mean size ${(batchLine('sum') / batchLine('count')).toFixed(1)}`,
    ].join('\n') + '\n',
  );
  for (const socket of sockets) socket.close();
  node.kill('SIGTERM');
  await once(node, 'exit');
  await db.destroy();
  await database.drop();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
