import type { ErrorCode } from './errors';
import type { Message } from './models';

/** What a client sends with `message`: the content and an id of its own for idempotent retries. */
export interface SendMessagePayload {
  content: string;
  clientId?: string;
}

export type AckError = { code: ErrorCode; message: string };

/** The acknowledgement of `message`: ok only once the message is committed. */
export type MessageAck = { ok: true; message: Message } | { ok: false; error: AckError };

/** Socket.IO events the chat service emits to clients (one namespace per room, /ws/<name>). */
export interface ServerToClientEvents {
  history: (payload: { messages: Message[] }) => void;
  presence: (payload: { users: string[] }) => void;
  message: (payload: { message: Message }) => void;
  typing: (payload: { username: string }) => void;
  room_deleted: (payload: { name: string }) => void;
}

/** Socket.IO events clients send. */
export interface ClientToServerEvents {
  message: (payload: SendMessagePayload, ack: (response: MessageAck) => void) => void;
  typing: (payload?: Record<string, never>) => void;
}

/** `auth` of the Socket.IO handshake. */
export interface HandshakeAuth {
  token?: string;
  /** The last seq the client holds: history then brings every message after it. */
  lastSeq?: number;
}

/** A plain WebSocket frame from the server. */
export type PlainServerFrame =
  | { type: 'message'; message: Message }
  | { type: 'room_deleted'; name: string }
  | { type: 'error'; error: AckError };

/** The namespace of a room: `/ws/` + the encoded canonical name. */
export const roomNamespace = (name: string): string => `/ws/${encodeURIComponent(name)}`;

/** Refused handshakes end in `connect_error` with one of these as `err.message`. */
export const HANDSHAKE_ERRORS = ['unauthorized', 'room_not_found', 'forbidden_origin'] as const;
