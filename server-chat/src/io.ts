import type { Server as HttpServer } from 'node:http';
import { LIMITS, roomNamespace } from '@parley/contracts';
import { listenEvents } from '@parley/db';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import type { Config } from '@parley/server-kit';
import type { ChatDeps } from './deps';
import { createMessageWriter } from './messages/message-writer';
import { registerMessageHandlers } from './messages/messages.handlers';
import { createRoomStreams } from './messages/room-streams';
import { attachPlainWebSocket } from './plain-ws/plain-ws';
import { createPlainUsers } from './presence/plain-users';
import { createPresence } from './presence/presence';
import { closeDeletedRoom, handleCommittedEvents } from './rooms/committed-events';
import { createSessionRegistry } from './sessions/session-registry';
import { handshake, isRequestOriginAllowed } from './socket/handshake';
import { corkFlushes } from './socket/corked-flushes';
import { slotPings } from './socket/ping-slots';
import type { ChatIo, RoomNamespace, RoomSocket } from './socket/types';
import { registerTypingHandlers } from './typing/typing.handlers';

export type { ChatDeps, ChatOptions } from './deps';
export { createChatDeps } from './deps';
export { healthHandler } from './http/health';

/** Room namespaces: /ws/<percent-encoded canonical name>. */
const ROOM_NAMESPACE = /^\/ws\/[^/]+$/;

export interface ChatServer {
  io: ChatIo;
  /** Graceful stop: refuse new clients, commit what is pending, then disconnect and close. */
  close(): Promise<void>;
}

/**
 * The chat service on `httpServer`: Socket.IO (one namespace per room), plain WebSocket on the
 * same paths, and the committed-events listener that feeds every room's ordered delivery.
 */
export async function createChatServer(
  httpServer: HttpServer,
  deps: ChatDeps,
): Promise<ChatServer> {
  let isAccepting = true;
  slotPings();
  corkFlushes();
  const io: ChatIo = new Server(httpServer, {
    path: '/socket.io',
    serveClient: false,
    // Frames beyond this close only the sending socket (a message is at most ~16 KB of UTF-8).
    maxHttpBufferSize: LIMITS.restBodyMaxBytes,
    perMessageDeflate: false,
    cleanupEmptyChildNamespaces: true,
    // Upgrades of other paths (/ws/<room>) are the plain WebSocket server's.
    destroyUpgrade: false,
    allowRequest: (req, callback) => callback(null, isRequestOriginAllowed(req, deps.config)),
    ...(deps.redis && { adapter: redisAdapter(deps.redis, deps.config.redisAdapter) }),
  });
  const { nodeId } = deps.config;
  if (nodeId) {
    // Which node answered, for operators and the multi-node tests (behind nginx).
    const tagNode = (headers: Record<string, string>) => {
      headers['X-Parley-Node'] = nodeId;
    };
    io.engine.on('initial_headers', tagNode);
    io.engine.on('headers', tagNode);
  }
  const streams = createRoomStreams(deps);
  const writer = createMessageWriter({
    ...deps,
    onCommitted: (roomId, messages) => streams.onMessages(roomId, messages.at(-1)!.seq, messages),
  });
  const sessions = createSessionRegistry(deps.revocations.isKnownRevoked);
  // Revocations reread after a gap in the events may name tokens with connections here.
  const stopEndingRevoked = deps.revocations.onLive(() => sessions.endRevoked());
  const plainUsers = createPlainUsers();
  // Only with other nodes (the in-memory adapter has no server-side emit).
  const presence = createPresence(
    deps.logger,
    deps.redis && ((name: string) => io.serverSideEmit('presence_changed', name)),
    async (name) => {
      const here = plainUsers.of(name);
      return deps.redis ? [...here, ...(await plainUsersElsewhere(io, name))] : here;
    },
  );
  io.on('plain_users', (name, reply) => reply(plainUsers.of(name)));
  io.on('presence_changed', (name: string) => {
    const namespace = io._nsps.get(name);
    if (namespace) presence.changed(namespace, { isRemote: true });
  });

  // Presence updates sent while Redis was away were lost: send them again once it is back.
  deps.redis?.sub.on('ready', () => presence.refreshAll());

  const rooms = io.of(ROOM_NAMESPACE);
  rooms.use(handshake(deps, () => isAccepting));
  rooms.on('connection', (socket: RoomSocket) => {
    // A child of the parent namespace: socket.io types it without our SocketData.
    const namespace = socket.nsp as RoomNamespace;
    const untrack = sessions.track(socket.data.session, {
      end: () => socket.disconnect(true),
    });
    deps.metrics.connectedSockets.inc();
    registerMessageHandlers(socket, { ...deps, writer });
    registerTypingHandlers(socket);
    socket.on('disconnect', () => {
      untrack();
      deps.metrics.connectedSockets.dec();
      presence.changed(namespace);
      streams.release(socket.data.room.id);
      deps.metrics.rooms.set(streams.size);
    });
    streams.joinSocket(socket, socket.data.lastSeq).then(
      () => presence.changed(namespace),
      (error: unknown) => {
        deps.logger.error({ err: error, room: socket.data.room.name }, 'join failed');
        socket.disconnect(true);
      },
    );
    deps.metrics.rooms.set(streams.size);
  });

  const listener = await listenEvents({
    databaseUrl: deps.config.databaseUrl,
    applicationName: 'parley-chat',
    onEvent: handleCommittedEvents(io, streams, sessions, deps.revocations),
    // Events committed while the listener was away were missed: read what they said from the
    // database (messages, rooms that are gone, revoked tokens) and act on it as on the events.
    onReconnect: () => {
      streams.resyncAll((stream) => closeDeletedRoom(io, stream));
      void deps.revocations.resync();
    },
    onDisconnect: deps.revocations.suspend,
    onError: (error) => deps.logger.warn({ err: error }, 'committed-events listener error'),
  });
  void deps.revocations.resync();
  const plain = attachPlainWebSocket(httpServer, {
    deps,
    writer,
    streams,
    sessions,
    isAccepting: () => isAccepting,
    onPresence(room, username, change) {
      const name = roomNamespace(room.name);
      const isChange =
        change === 'joined' ? plainUsers.add(name, username) : plainUsers.remove(name, username);
      if (isChange) presence.plainChanged(name, io._nsps.get(name));
    },
  });

  return {
    io,
    async close() {
      isAccepting = false;
      await writer.drain();
      presence.close();
      stopEndingRevoked();
      sessions.close();
      plain.close();
      await listener.close();
      await io.close();
    },
  };
}

/**
 * The usernames of a room's plain WebSocket clients on the other nodes. Through the adapter
 * itself: `io.serverSideEmitWithAck` leaves the adapter's promise unawaited, so while Redis is
 * away its rejection would go unhandled and end the process; here it rejects this call.
 */
function plainUsersElsewhere(io: ChatIo, namespaceName: string): Promise<string[]> {
  const adapter = io.of('/').adapter as unknown as {
    serverSideEmit(packet: unknown[]): Promise<void> | void;
  };
  return new Promise((resolve, reject) => {
    const reply = (error: Error | null, responses: string[][]) =>
      error ? reject(error) : resolve(responses.flat());
    Promise.resolve(adapter.serverSideEmit(['plain_users', namespaceName, reply])).catch(reject);
  });
}

function redisAdapter(redis: NonNullable<ChatDeps['redis']>, mode: Config['redisAdapter']) {
  switch (mode) {
    case 'classic':
      // Classic pub/sub: a pattern subscription (PSUBSCRIBE) per namespace, plus request channels.
      return createAdapter(redis.pub, redis.sub);
    case 'sharded-dynamic':
      // Also a channel per room, subscribed while the room has sockets here.
      return createShardedAdapter(redis.pub, redis.sub, { subscriptionMode: 'dynamic' });
    case 'sharded':
      // Sharded pub/sub, two channels per namespace, released when the namespace is cleaned up.
      return createShardedAdapter(redis.pub, redis.sub, { subscriptionMode: 'static' });
  }
}
