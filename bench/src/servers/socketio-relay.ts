// The "S" server: Socket.IO with the product's options and namespace shape but no auth and no
// database, so it shows the most any Socket.IO server can relay on this machine.
// Run: node --import tsx bench/src/servers/socketio-relay.ts (env PORT, 0 = any free port).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientToServerEvents, MessageAck, ServerToClientEvents } from '@parley/contracts';
import { Server, type Namespace } from 'socket.io';
import { nextMessage, type RelayRoom } from './relay-message';

type Room = RelayRoom;

const port = Number(process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0) throw new Error(`PORT is not a port: ${process.env.PORT}`);

const httpServer = createServer();
const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
  transports: ['websocket'],
  perMessageDeflate: false,
  cleanupEmptyChildNamespaces: true,
  serveClient: false,
});

// Keyed by the child namespace, so a room's counters go when socket.io drops the empty namespace.
const rooms = new WeakMap<Namespace, Room>();
let lastRoomId = 0;

function roomOf(namespace: Namespace): Room {
  let room = rooms.get(namespace);
  if (!room) {
    room = { id: ++lastRoomId, lastSeq: 0 };
    rooms.set(namespace, room);
  }
  return room;
}

io.of(/^\/ws\/[^/]+$/).on('connection', (socket) => {
  const room = roomOf(socket.nsp);
  // The product's "ready" event: a client starts sending once its history arrived.
  socket.emit('history', { messages: [] });
  socket.on('message', (payload: unknown, ack?: unknown) => {
    // Like the product's withAck: an event without an ack callback is ignored.
    if (typeof ack !== 'function') return;
    const reply = ack as (response: MessageAck) => void;
    const { content, clientId } = (payload ?? {}) as { content?: unknown; clientId?: unknown };
    if (typeof content !== 'string') {
      reply({
        ok: false,
        error: { code: 'validation_failed', message: 'content must be a string' },
      });
      return;
    }
    const message = nextMessage(room, content, typeof clientId === 'string' ? clientId : null);
    // One encode for the whole namespace, the sender included, as the product broadcasts.
    socket.nsp.emit('message', { message });
    reply({ ok: true, message });
  });
});

process.once('SIGTERM', () => {
  void io.close(() => process.exit(0));
});

httpServer.listen(port, () => {
  process.stdout.write(`${JSON.stringify({ port: (httpServer.address() as AddressInfo).port })}\n`);
});
