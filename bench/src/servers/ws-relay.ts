// The "W" server: bare `ws` rooms on /ws/<room>, no auth and no database, so it shows the most
// any WebSocket server can relay on this machine. Each text frame a client sends is a message's
// content; every member of the room, the sender included, gets {"type":"message","message":…}.
// Run: node --import tsx bench/src/servers/ws-relay.ts (env PORT, 0 = any free port).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PlainServerFrame } from '@parley/contracts';
import { WebSocket, WebSocketServer } from 'ws';
import { nextMessage, type RelayRoom } from './relay-message';

interface Room extends RelayRoom {
  members: Set<WebSocket>;
}

const ROOM_PATH = /^\/ws\/[^/]+$/;

const port = Number(process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0) throw new Error(`PORT is not a port: ${process.env.PORT}`);

const httpServer = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const rooms = new Map<string, Room>();
let lastRoomId = 0;

httpServer.on('upgrade', (req, socket, head) => {
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (!ROOM_PATH.test(path)) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => join(ws, path));
});

function roomAt(path: string): Room {
  let room = rooms.get(path);
  if (!room) {
    room = { id: ++lastRoomId, lastSeq: 0, members: new Set() };
    rooms.set(path, room);
  }
  return room;
}

function join(ws: WebSocket, path: string): void {
  const room = roomAt(path);
  room.members.add(ws);
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) relay(room, data.toString());
  });
  // A protocol error closes the socket anyway; without a listener it would end the process.
  ws.on('error', () => undefined);
  ws.on('close', () => {
    room.members.delete(ws);
    // Like socket.io's cleanupEmptyChildNamespaces: an empty room is forgotten.
    if (room.members.size === 0) rooms.delete(path);
  });
}

function relay(room: Room, content: string): void {
  const message = nextMessage(room, content, null);
  const frame: PlainServerFrame = { type: 'message', message };
  // Stringified and UTF-8 encoded once: given a string, ws would encode it again per member.
  const bytes = Buffer.from(JSON.stringify(frame));
  for (const member of room.members) {
    if (member.readyState === WebSocket.OPEN) member.send(bytes, { binary: false });
  }
}

process.once('SIGTERM', () => {
  for (const client of wss.clients) client.terminate();
  wss.close();
  httpServer.close(() => process.exit(0));
});

httpServer.listen(port, () => {
  process.stdout.write(`${JSON.stringify({ port: (httpServer.address() as AddressInfo).port })}\n`);
});
