import type { IncomingMessage } from 'node:http';
import { roomNamespace, type Room } from '@parley/contracts';
import {
  AppError,
  isOriginAllowed,
  pickToken,
  servingOriginOf,
  SESSION_COOKIE,
  toAppError,
  verifySession,
  type Session,
} from '@parley/server-kit';
import { parse as parseCookie } from 'cookie';
import type { ChatDeps } from '../deps';
import type { RoomSocket } from './types';

type HandshakeDeps = Pick<ChatDeps, 'config' | 'rooms' | 'revocations'>;

/** The Origin check of `allowRequest` and of the plain WebSocket upgrade. */
export function isRequestOriginAllowed(req: IncomingMessage, config: ChatDeps['config']): boolean {
  const serving = servingOriginOf(req.headers, 'encrypted' in req.socket, config.trustProxy);
  return isOriginAllowed(req.headers.origin, config.allowedOrigins, serving);
}

/** Verifies the token (signature, expiry, revocation); throws AppError('unauthorized'). */
export async function authenticate(
  token: string | undefined,
  deps: HandshakeDeps,
): Promise<Session> {
  const session = verifySession(token ?? '', deps.config.jwtSecret);
  if (await deps.revocations.isRevoked(session.jti)) {
    throw new AppError('unauthorized', 'Your session has ended, sign in again');
  }
  return session;
}

/**
 * The room a namespace or path names: its segment percent-decoded must be a stored room's
 * canonical name, written as `roomNamespace(name)` writes it. Throws AppError('room_not_found').
 */
export async function roomOfPath(path: string, deps: HandshakeDeps): Promise<Room> {
  const segment = path.slice('/ws/'.length);
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw new AppError('room_not_found', 'This room does not exist');
  }
  const room = await deps.rooms.findByName(name);
  if (!room || roomNamespace(room.name) !== path) {
    throw new AppError('room_not_found', 'This room does not exist');
  }
  return room;
}

export const cookieToken = (cookieHeader: string | undefined): string | undefined =>
  cookieHeader ? parseCookie(cookieHeader)[SESSION_COOKIE] : undefined;

/**
 * Handshake middleware of the parent namespace, so it runs for every room namespace: Origin,
 * session (auth.token, Authorization: Bearer or the cookie), then the room. A refusal reaches the
 * client as connect_error with the contract's code as err.message.
 */
export function handshake(deps: HandshakeDeps, isAccepting: () => boolean) {
  return async (socket: RoomSocket, next: (error?: Error) => void) => {
    try {
      if (!isAccepting()) throw new AppError('unavailable', 'This node is shutting down');
      if (!isRequestOriginAllowed(socket.request, deps.config)) {
        throw new AppError('forbidden_origin', 'Connections from this origin are not allowed');
      }
      const auth = (socket.handshake.auth ?? {}) as { token?: unknown; lastSeq?: unknown };
      const token = pickToken(
        socket.handshake.headers.authorization,
        typeof auth.token === 'string' ? auth.token : cookieToken(socket.handshake.headers.cookie),
      );
      const session = await authenticate(token, deps);
      const room = await roomOfPath(socket.nsp.name, deps);
      const lastSeq =
        typeof auth.lastSeq === 'number' && Number.isSafeInteger(auth.lastSeq) && auth.lastSeq >= 0
          ? auth.lastSeq
          : undefined;
      socket.data = { session, room: { id: room.id, name: room.name }, lastSeq };
      // The connection keeps its handshake (and fetchSockets sends it to other nodes through
      // Redis): the token is not needed any more, so it goes.
      delete auth.token;
      next();
    } catch (error) {
      const appError = toAppError(error);
      next(Object.assign(new Error(appError.code), { data: appError.toBody() }));
    }
  };
}
