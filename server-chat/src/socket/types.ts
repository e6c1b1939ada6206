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

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no server-to-server events
type InterServerEvents = {};

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
