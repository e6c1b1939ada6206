import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { LIMITS, messageContentSchema, type PlainServerFrame } from '@parley/contracts';
import { AppError, ackErrorOf, parseInput, pickToken, toAppError } from '@parley/server-kit';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ChatDeps } from '../deps';
import { sendMessage } from '../messages/messages.handlers';
import type { MessageWriter } from '../messages/message-writer';
import type { RoomStreams } from '../messages/room-streams';
import type { SessionRegistry } from '../sessions/session-registry';
import { authenticate, cookieToken, isRequestOriginAllowed, roomOfPath } from '../socket/handshake';

const UPGRADE_STATUS: Partial<Record<string, string>> = {
  unauthorized: '401 Unauthorized',
  forbidden_origin: '403 Forbidden',
  room_not_found: '404 Not Found',
  unavailable: '503 Service Unavailable',
};

interface PlainWsDeps {
  deps: ChatDeps;
  writer: MessageWriter;
  streams: RoomStreams;
  sessions: SessionRegistry;
  isAccepting: () => boolean;
  /** A client's connection to the room began or ended (presence counts plain clients too). */
  onPresence(room: { name: string }, username: string, change: 'joined' | 'left'): void;
}

/**
 * Plain WebSocket clients on /ws/<room>: same checks, limits and persistence as Socket.IO. Each
 * text frame is a message's content; each room message arrives as {"type":"message",…}.
 */
export function attachPlainWebSocket(httpServer: HttpServer, options: PlainWsDeps) {
  const { deps } = options;
  // Content is at most 4000 code points (16,000 bytes of UTF-8); anything far larger is abuse.
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.restBodyMaxBytes });
  const { nodeId } = deps.config;
  // Which node accepted the upgrade, as on Socket.IO's answers.
  if (nodeId) wss.on('headers', (headers) => headers.push(`X-Parley-Node: ${nodeId}`));

  // Plain clients get pings too (protocol-level: browsers and WebSocket libraries answer them
  // unasked), all in one sweep: the traffic keeps proxies (nginx's proxy_read_timeout) from
  // closing connections in quiet rooms, and a client that has not answered the previous ping by
  // the next one is gone without a close (network lost) and is ended, so its socket and room
  // stream do not linger.
  const answered = new WeakSet<WebSocket>();
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!answered.delete(ws)) ws.terminate();
      else ws.ping();
    }
  }, deps.plainPingIntervalMs);
  heartbeat.unref();

  const refuse = (socket: Duplex, code: string) => {
    const status = UPGRADE_STATUS[code] ?? '500 Internal Server Error';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!path.startsWith('/ws/')) return; // /socket.io/ is Engine.IO's
    // Node stops listening for the socket's errors once it is an upgrade: a client that resets
    // while the checks below run would otherwise end the process. `ws` listens from the upgrade on.
    const onEarlyError = () => socket.destroy();
    socket.on('error', onEarlyError);
    void (async () => {
      try {
        if (!options.isAccepting()) throw new AppError('unavailable', 'Shutting down');
        if (!isRequestOriginAllowed(req, deps.config)) {
          throw new AppError('forbidden_origin', 'Origin not allowed');
        }
        const token = pickToken(req.headers.authorization, cookieToken(req.headers.cookie));
        const session = await authenticate(token, deps);
        const room = await roomOfPath(path, deps);
        // Read before the upgrade is answered: every message committed once the client is
        // connected comes after this seq, and the join delivers each of them.
        const fromSeq = (await deps.rooms.lastSeq(room.id)) ?? 0;
        socket.off('error', onEarlyError);
        wss.handleUpgrade(req, socket, head, (ws) =>
          serve(ws, socket, { session, room: { id: room.id, name: room.name }, fromSeq }),
        );
      } catch (error) {
        refuse(socket, toAppError(error).code);
      }
    })();
  };

  const serve = (
    ws: WebSocket,
    tcp: Duplex,
    {
      session,
      room,
      fromSeq,
    }: {
      session: Awaited<ReturnType<typeof authenticate>>;
      room: { id: number; name: string };
      fromSeq: number;
    },
  ) => {
    const send = (frame: PlainServerFrame) => ws.send(JSON.stringify(frame));
    const member = {
      // Corked, so a batch's frames leave in one writev rather than one system call each.
      send: (frames: string[]) => {
        tcp.cork();
        for (const frame of frames) ws.send(frame);
        tcp.uncork();
      },
      close: (lastFrame: string) => {
        ws.send(lastFrame);
        ws.close(4404, 'room deleted');
      },
    };
    const untrack = options.sessions.track(session, {
      end: (reason) => ws.close(4401, reason === 'revoked' ? 'signed out' : 'session expired'),
    });
    // A protocol error (a frame over maxPayload, text that is not UTF-8): `ws` answers it with
    // a close frame itself; unheard, the error would end the process and every connection.
    ws.on('error', (error) =>
      deps.logger.warn({ err: error, room: room.name }, 'plain WebSocket protocol error'),
    );
    deps.metrics.connectedSockets.inc();
    answered.add(ws);
    ws.on('pong', () => answered.add(ws));
    ws.on('close', () => {
      untrack();
      options.onPresence(room, session.username, 'left');
      options.streams.leavePlain(room.id, member);
      options.streams.release(room.id);
      deps.metrics.connectedSockets.dec();
    });
    options.onPresence(room, session.username, 'joined');
    // Frames wait for the join, so a client's own first message reaches it live.
    const joined = options.streams.joinPlain(room, member, fromSeq);
    joined.catch(() => ws.close(1011, 'try again later'));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        send({ type: 'error', error: { code: 'validation_failed', message: 'Send text frames' } });
        return;
      }
      const text = Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Buffer.concat(data as Buffer[]).toString('utf8');
      joined
        .then(() => parseInput(messageContentSchema, text))
        .then((content) =>
          sendMessage({ ...deps, writer: options.writer }, room, session, { content }),
        )
        .catch((error: unknown) => {
          const appError = toAppError(error);
          if (appError.code === 'internal') {
            deps.logger.error({ err: error, room: room.name }, 'plain WebSocket message failed');
          }
          if (ws.readyState === ws.OPEN) send({ type: 'error', error: ackErrorOf(appError) });
        });
    });
  };

  httpServer.on('upgrade', onUpgrade);
  return {
    close(): void {
      httpServer.off('upgrade', onUpgrade);
      clearInterval(heartbeat);
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      wss.close();
    },
  };
}
