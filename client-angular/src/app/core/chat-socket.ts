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
 * session cookie. Tests provide a fake in its place.
 */
@Injectable({ providedIn: 'root' })
export class ChatSocketFactory {
  /**
   * A socket for the room, not connected yet: attach the listeners, then call `connect()`, so no
   * event (e.g. the first `history`) can come before them. `auth` is read on every
   * (re)connection, so it can carry the current lastSeq.
   */
  create(roomName: string, auth: () => HandshakeAuth): RoomSocket {
    return io(roomNamespace(roomName), {
      withCredentials: true,
      transports: ['websocket', 'polling'],
      autoConnect: false,
      auth: (callback) => callback(withoutUndefined(auth())),
    });
  }
}

const withoutUndefined = (auth: HandshakeAuth): Record<string, unknown> =>
  Object.fromEntries(Object.entries(auth).filter(([, value]) => value !== undefined));
