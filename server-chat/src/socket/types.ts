import type { ClientToServerEvents, ServerToClientEvents } from '@parley/contracts';
import type { Session } from '@parley/server-kit';
import type { Namespace, Server, Socket } from 'socket.io';
import type { RoomRef } from '../messages/message-writer';

/**
 * Socket.IO room, inside each room namespace, of the sockets that have had their history and
 * receive live events (messages, presence, typing).
 */
export const LIVE = 'live';

/** What the handshake stores on each socket. */
export interface SocketData {
  session: Session;
  room: RoomRef;
  /** auth.lastSeq of the handshake, when given. */
  lastSeq: number | undefined;
}

/** Between chat nodes (through the adapter of the main namespace, which is never cleaned up). */
interface InterServerEvents {
  /** A room's users changed on the sending node, whose namespace for it is gone. */
  presence_changed: (namespaceName: string) => void;
  /** The usernames of the room's plain WebSocket clients on the answering node. */
  plain_users: (namespaceName: string, reply: (usernames: string[]) => void) => void;
}

export type ChatIo = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type RoomNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type RoomSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
