import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket as TcpSocket } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { corkFlushes } from '../src/socket/corked-flushes';

const BURST = 20;

let httpServer: HttpServer;
let io: Server;
let url: string;
/** The server's side of every TCP connection, in order of arrival. */
const connections: TcpSocket[] = [];
beforeAll(async () => {
  corkFlushes();
  httpServer = createServer();
  httpServer.on('connection', (tcp) => connections.push(tcp));
  io = new Server(httpServer, { transports: ['websocket'], perMessageDeflate: false });
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});
const clients = new Set<ClientSocket>();
afterEach(() => {
  for (const client of clients) client.disconnect();
  clients.clear();
});
afterAll(async () => {
  await io.close();
});

/** Counts the writes that reach `tcp`'s system calls (one per `_write` or `_writev`). */
function countWrites(tcp: TcpSocket) {
  const counted = tcp as TcpSocket & {
    _write: (this: TcpSocket, ...args: unknown[]) => void;
    _writev: (this: TcpSocket, ...args: unknown[]) => void;
  };
  let count = 0;
  for (const method of ['_write', '_writev'] as const) {
    const original = counted[method].bind(tcp);
    counted[method] = (...args: unknown[]) => {
      count++;
      original(...args);
    };
  }
  return () => count;
}

test('when a burst of events is sent to a member in one go, then they arrive complete and in order in at most two socket writes', async () => {
  // Arrange: one member, connected over the WebSocket transport.
  const client = connect(url, { transports: ['websocket'], forceNew: true });
  clients.add(client);
  await new Promise((resolve) => client.once('connect', () => resolve(undefined)));
  const writes = countWrites(connections.at(-1)!);
  const received: number[] = [];
  const all = new Promise<void>((resolve) =>
    client.on('n', (n: number) => {
      received.push(n);
      if (received.length === BURST) resolve();
    }),
  );

  // Act: a burst as a group commit delivers it, every event emitted in the same turn.
  for (let n = 0; n < BURST; n++) io.emit('n', n);
  await all;

  // Assert: the first event leaves at once, the rest together once it is written (without the
  // corked flush, one write per event).
  expect(received).toEqual(Array.from({ length: BURST }, (_, n) => n));
  expect(writes()).toBeLessThanOrEqual(2);
});
