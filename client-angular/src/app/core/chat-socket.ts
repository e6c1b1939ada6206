import { Injectable } from '@angular/core';
import {
  roomNamespace,
  type ClientToServerEvents,
  type HandshakeAuth,
  type ServerToClientEvents,
} from '@parley/contracts';
import { io, type Socket } from 'socket.io-client';

export type RoomSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The one place the client opens sockets: a room's namespace on the page's own origin, with the
 * session cookie. `auth` is read on every (re)connection, so it can carry the current lastSeq.
 * Tests provide a fake in its place.
 */
@Injectable({ providedIn: 'root' })
export class ChatSocketFactory {
  connect(roomName: string, auth: () => HandshakeAuth): RoomSocket {
    return io(roomNamespace(roomName), {
      withCredentials: true,
      transports: ['websocket', 'polling'],
      auth: (callback) => callback(auth() as Record<string, unknown>),
    });
  }
}
