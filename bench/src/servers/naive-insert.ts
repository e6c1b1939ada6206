// The "N" server: the original project's persistence design, for the write-heavy scenario only.
// Same namespaces, token and ack as the product, but each message is one INSERT (one round trip,
// its own commit) before the broadcast: no group commit, no NOTIFY.
// Run: node --import tsx bench/src/servers/naive-insert.ts (env PORT, DATABASE_URL).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  postMessageBodySchema,
  roomNamespace,
  type ClientToServerEvents,
  type MessageAck,
  type ServerToClientEvents,
} from '@parley/contracts';
// @parley/db also makes pg parse bigint ids and seqs to numbers, as the product does.
import { toMessage, type MessageRow } from '@parley/db';
import { verifySession, type Session } from '@parley/server-kit';
import pg from 'pg';
import { Server, type Socket } from 'socket.io';
import { BENCH_SECRET } from '../lib/infra';

interface SocketData {
  session: Session;
  roomId: number;
}

const port = Number(process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0) throw new Error(`PORT is not a port: ${process.env.PORT}`);
if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set');

// The product's pool size, so both servers have the same number of connections to work with.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

// The seq comes from the room's row in the same statement: one round trip, and the row lock
// serialises the room's writers until this message's own commit.
const INSERT_MESSAGE = `
  WITH room AS (
    UPDATE chat_rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING id, last_seq)
  INSERT INTO messages (room_id, seq, user_id, username, content, client_id)
  SELECT room.id, room.last_seq, $2, $3, $4, $5 FROM room
  RETURNING *`;

const httpServer = createServer();
const io = new Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>(httpServer, {
  transports: ['websocket'],
  perMessageDeflate: false,
  cleanupEmptyChildNamespaces: true,
  serveClient: false,
});

const rooms = io.of(/^\/ws\/[^/]+$/);

rooms.use((socket, next) => {
  const auth = (socket.handshake.auth ?? {}) as { token?: unknown };
  let session: Session;
  try {
    session = verifySession(typeof auth.token === 'string' ? auth.token : '', BENCH_SECRET);
  } catch {
    next(new Error('unauthorized'));
    return;
  }
  roomIdOf(socket.nsp.name).then(
    (roomId) => {
      if (roomId === undefined) return next(new Error('room_not_found'));
      socket.data = { session, roomId };
      next();
    },
    (error: Error) => next(error),
  );
});

async function roomIdOf(namespace: string): Promise<number | undefined> {
  let name: string;
  try {
    name = decodeURIComponent(namespace.slice('/ws/'.length));
  } catch {
    return undefined;
  }
  const { rows } = await pool.query<{ id: number }>('SELECT id FROM chat_rooms WHERE name = $1', [
    name,
  ]);
  return rows[0] && roomNamespace(name) === namespace ? rows[0].id : undefined;
}

rooms.on(
  'connection',
  (socket: Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>) => {
    socket.emit('history', { messages: [] });
    socket.on('message', (payload: unknown, ack?: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (response: MessageAck) => void;
      const body = postMessageBodySchema.safeParse(payload);
      if (!body.success) {
        reply({ ok: false, error: { code: 'validation_failed', message: 'Invalid message' } });
        return;
      }
      const { session, roomId } = socket.data;
      const values = [roomId, session.userId, session.username, body.data.content];
      pool.query<MessageRow>(INSERT_MESSAGE, [...values, body.data.clientId ?? null]).then(
        ({ rows }) => {
          const message = toMessage(rows[0]!);
          socket.nsp.emit('message', { message });
          reply({ ok: true, message });
        },
        () => reply({ ok: false, error: { code: 'internal', message: 'Could not store it' } }),
      );
    });
  },
);

process.once('SIGTERM', () => {
  void io.close(() => void pool.end().then(() => process.exit(0)));
});

httpServer.listen(port, () => {
  process.stdout.write(`${JSON.stringify({ port: (httpServer.address() as AddressInfo).port })}\n`);
});
