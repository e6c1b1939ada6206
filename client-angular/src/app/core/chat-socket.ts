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
 * One random key per page load, sent as `?sticky=`: nginx hashes it with the client address to
 * pick a chat node, so a long-polling session keeps reaching the node that knows it, and users
 * behind one address still spread over the nodes. Routing only, not a secret.
 */
const STICKY_KEY = Array.from(crypto.getRandomValues(new Uint8Array(8)), (byte) =>
  byte.toString(16).padStart(2, '0'),
).join('');

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
      query: { sticky: STICKY_KEY },
      auth: (callback) => callback(withoutUndefined(auth())),
    });
  }
}

const withoutUndefined = (auth: HandshakeAuth): Record<string, unknown> =>
  Object.fromEntries(Object.entries(auth).filter(([, value]) => value !== undefined));
