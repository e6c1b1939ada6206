import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import WebSocket from 'ws';
import { delayToSlot, PING_SLOT_MS, slotPings } from '../src/socket/ping-slots';

const PING_INTERVAL_MS = 600;
const PING_TIMEOUT_MS = 400;

let httpServer: HttpServer;
let io: Server;
let url: string;
beforeAll(async () => {
  slotPings();
  httpServer = createServer();
  io = new Server(httpServer, { pingInterval: PING_INTERVAL_MS, pingTimeout: PING_TIMEOUT_MS });
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  url = `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}/socket.io/?EIO=4&transport=websocket`;
});
const sockets = new Set<WebSocket>();
afterEach(() => {
  for (const socket of sockets) socket.close();
  sockets.clear();
});
afterAll(async () => {
  await io.close();
});

/** An Engine.IO client that notes when each ping arrives and answers it unless told not to. */
function engineClient({ answers = true } = {}) {
  const socket = new WebSocket(url);
  sockets.add(socket);
  const pingsAt: number[] = [];
  const wakers = new Set<() => void>();
  socket.on('message', (data: Buffer) => {
    if (data.toString() !== '2') return;
    pingsAt.push(Date.now());
    if (answers) socket.send('3');
    for (const wake of [...wakers]) wake();
  });
  const pings = (count: number) =>
    new Promise<number[]>((resolve) => {
      const check = () => {
        if (pingsAt.length < count) return;
        wakers.delete(check);
        resolve(pingsAt.slice(0, count));
      };
      wakers.add(check);
      check();
    });
  return { socket, pings };
}

test('a ping waits for the next slot boundary at least the ping interval away', () => {
  for (const now of [1_000_000, 1_000_001, 1_000_249, 1_000_250, 1_234_567]) {
    const delay = delayToSlot(now, 25_000);

    expect(delay).toBeGreaterThanOrEqual(25_000);
    expect(delay).toBeLessThan(25_000 + PING_SLOT_MS);
    expect((now + delay) % PING_SLOT_MS).toBe(0);
  }
});

test('when clients connected at different moments stay idle, then their pings arrive together on slot boundaries and the connections stay open', async () => {
  // Arrange: three clients, each connecting once the previous one is open.
  const clients = [];
  for (let i = 0; i < 3; i++) {
    const client = engineClient();
    await once(client.socket, 'open');
    clients.push(client);
  }

  // Act: three ping cycles each.
  const pingsAt = await Promise.all(clients.map((client) => client.pings(3)));

  // Assert: every ping shortly after a slot boundary (without slots, anywhere in it), a full
  // interval apart, and every client still connected.
  for (const times of pingsAt) {
    for (const at of times) expect(at % PING_SLOT_MS).toBeLessThan(PING_SLOT_MS / 2);
    for (let i = 1; i < times.length; i++) {
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(PING_INTERVAL_MS - 5);
    }
  }
  for (const client of clients) expect(client.socket.readyState).toBe(WebSocket.OPEN);
});

test('when a client stops answering pings, then the server still closes its connection', async () => {
  // Arrange
  const client = engineClient({ answers: false });
  await once(client.socket, 'open');

  // Act
  const [pingAt] = await client.pings(1);
  await once(client.socket, 'close');

  // Assert: closed once the ping went unanswered for pingTimeout.
  expect(Date.now() - pingAt!).toBeGreaterThanOrEqual(PING_TIMEOUT_MS - 5);
});
