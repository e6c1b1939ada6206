import {
  roomNamespace,
  type ClientToServerEvents,
  type HandshakeAuth,
  type Message,
  type MessageAck,
  type ServerToClientEvents,
} from '@parley/contracts';
import type { MessageRow } from '@parley/db';
import { io, type Socket } from 'socket.io-client';
import { api, signUp, type Account, type ApiClient } from '../../server-web/test/rest-client';
import type { WebApp } from '../../test/support/web-app';

export type ClusterSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Anything with the chat node's base URL: an in-process node or a node in its own process. */
export interface NodeAddress {
  url: string;
}

export interface Timed<T> {
  payload: T;
  /** performance.now() at arrival. */
  at: number;
}

/** A member's socket in one room, recording everything it receives. */
export interface RoomClient {
  readonly socket: ClusterSocket;
  readonly username: string;
  /** Every `message` broadcast, in arrival order (duplicates kept, to be asserted on). */
  readonly live: Message[];
  /** Every `history` payload, in arrival order. */
  readonly histories: Message[][];
  readonly presences: Timed<string[]>[];
  readonly typings: Timed<string>[];
  /** The names carried by `room_deleted`. */
  readonly deletions: string[];
  /** Event names in arrival order, `disconnect` included. */
  readonly timeline: string[];
  /** performance.now() of the last disconnect, when disconnected. */
  disconnectedAt(): number | undefined;
  /** Reconnections made after the server dropped the socket (only with `resync`). */
  resyncs(): number;
  /** Every seq the client holds, from history and live messages. */
  seqs(): Set<number>;
  lastSeq(): number;
  /** The latest presence, sorted. */
  presence(): string[] | undefined;
  send(content: string, clientId?: string, timeoutMs?: number): Promise<MessageAck>;
  typing(): void;
  close(): void;
}

export interface JoinOptions {
  token: string;
  username: string;
  lastSeq?: number;
  /**
   * Behaves like a real client: when the server or the network drops the socket, reconnect
   * with `auth.lastSeq` = the highest seq held (a few attempts), to catch up on what was missed.
   */
  resync?: boolean;
}

const JOIN_TIMEOUT_MS = 10_000;
const ACK_TIMEOUT_MS = 10_000;
const RESYNC_ATTEMPTS = 50;
const RESYNC_DELAY_MS = 200;

const opened = new Set<RoomClient>();

/** Closes every client this module opened (for afterEach/afterAll). */
export function closeAllClients(): void {
  for (const client of opened) client.close();
  opened.clear();
}

function openSocket(
  node: NodeAddress,
  roomName: string,
  auth: HandshakeAuth | ((cb: (data: object) => void) => void),
): ClusterSocket {
  return io(node.url + roomNamespace(roomName), {
    auth,
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: JOIN_TIMEOUT_MS,
  });
}

/** What a socket received, recorded as it arrives. */
interface Recording {
  live: Message[];
  histories: Message[][];
  presences: Timed<string[]>[];
  typings: Timed<string>[];
  deletions: string[];
  timeline: string[];
}

function record(socket: ClusterSocket): Recording {
  const recording: Recording = {
    live: [],
    histories: [],
    presences: [],
    typings: [],
    deletions: [],
    timeline: [],
  };
  const { timeline } = recording;
  socket.on('history', ({ messages }) => {
    timeline.push('history');
    recording.histories.push(messages);
  });
  socket.on('message', ({ message }) => {
    timeline.push('message');
    recording.live.push(message);
  });
  socket.on('presence', ({ users }) => {
    timeline.push('presence');
    recording.presences.push({ payload: [...users].sort(), at: performance.now() });
  });
  socket.on('typing', ({ username }) => {
    timeline.push('typing');
    recording.typings.push({ payload: username, at: performance.now() });
  });
  socket.on('room_deleted', ({ name }) => {
    timeline.push('room_deleted');
    recording.deletions.push(name);
  });
  socket.on('disconnect', () => timeline.push('disconnect'));
  return recording;
}

/**
 * Reconnects `socket` whenever the server or the network drops it (not when the test closes
 * it), retrying refused attempts a bounded number of times; returns the reconnection count.
 */
function reconnectWhenDropped(socket: ClusterSocket, isClosed: () => boolean): () => number {
  let reconnections = 0;
  // -1 while connected; otherwise the attempts made since the socket was dropped.
  let attempt = -1;
  socket.on('connect', () => {
    attempt = -1;
  });
  socket.on('connect_error', () => {
    if (isClosed() || attempt < 0 || attempt >= RESYNC_ATTEMPTS) return;
    attempt += 1;
    setTimeout(() => {
      if (!isClosed()) socket.connect();
    }, RESYNC_DELAY_MS);
  });
  socket.on('disconnect', (reason) => {
    if (isClosed() || reason === 'io client disconnect') return;
    reconnections += 1;
    attempt = 0;
    socket.connect();
  });
  return () => reconnections;
}

/** Connects a member to a room; resolves once the first `history` arrived. */
export function joinRoom(
  node: NodeAddress,
  roomName: string,
  options: JoinOptions,
): Promise<RoomClient> {
  let isFirstConnect = true;
  let isClosed = false;
  let disconnectedAt: number | undefined;
  const seqs = () => {
    const held = new Set<number>();
    for (const message of [...recording.histories.flat(), ...recording.live]) {
      held.add(message.seq);
    }
    return held;
  };
  const lastSeq = () => Math.max(0, ...seqs());

  // A function, so that every reconnection sends the seq held at that moment.
  const socket = openSocket(node, roomName, (cb) => {
    const seq = isFirstConnect ? options.lastSeq : lastSeq();
    isFirstConnect = false;
    cb(seq === undefined ? { token: options.token } : { token: options.token, lastSeq: seq });
  });
  const recording = record(socket);
  socket.on('disconnect', () => {
    disconnectedAt = performance.now();
  });
  const resyncs = options.resync ? reconnectWhenDropped(socket, () => isClosed) : () => 0;

  const client: RoomClient = {
    socket,
    username: options.username,
    ...recording,
    disconnectedAt: () => (socket.connected ? undefined : disconnectedAt),
    resyncs,
    seqs,
    lastSeq,
    presence: () => recording.presences.at(-1)?.payload,
    send: (content, clientId, timeoutMs = ACK_TIMEOUT_MS) =>
      socket.timeout(timeoutMs).emitWithAck('message', { content, clientId }),
    typing: () => socket.emit('typing', {}),
    close: () => {
      isClosed = true;
      socket.disconnect();
      opened.delete(client);
    },
  };
  opened.add(client);

  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer);
      socket.off('history', onHistory);
      socket.off('connect_error', onRefused);
      if (!error) return resolve(client);
      client.close();
      reject(error);
    };
    const onHistory = () => settle();
    const onRefused = (error: Error) =>
      settle(new Error(`joining ${roomName} as ${options.username} refused: ${error.message}`));
    const timer = setTimeout(
      () => settle(new Error(`joining ${roomName} as ${options.username}: no history in time`)),
      JOIN_TIMEOUT_MS,
    );
    socket.on('history', onHistory);
    socket.on('connect_error', onRefused);
  });
}

/** A handshake expected to be refused: resolves with the `connect_error` message. */
export function refusalOf(
  node: NodeAddress,
  roomName: string,
  token: string | undefined,
): Promise<string> {
  const socket = openSocket(node, roomName, token === undefined ? {} : { token });
  return new Promise((resolve, reject) => {
    // A namespace CONNECT has no client-side timeout of its own.
    const timer = setTimeout(() => {
      socket.disconnect();
      reject(new Error(`the handshake to ${roomName} got no answer`));
    }, JOIN_TIMEOUT_MS);
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      socket.disconnect();
      resolve(error.message);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.disconnect();
      reject(new Error(`the handshake to ${roomName} was accepted`));
    });
  });
}

/** The message of an ok ack; fails the test with the refusal otherwise. */
export function acked(ack: MessageAck): Message {
  if (!ack.ok) throw new Error(`the message was refused: ${JSON.stringify(ack.error)}`);
  return ack.message;
}

/**
 * Polls `condition` until it holds; resolves with the milliseconds it took, rejects with
 * `description` at the deadline. Conditions are cheap reads of recorded state or the database.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  description: string,
  timeoutMs = 5_000,
  intervalMs = 20,
): Promise<number> {
  const started = performance.now();
  const deadline = started + timeoutMs;
  for (;;) {
    if (await condition()) return performance.now() - started;
    if (performance.now() >= deadline) {
      throw new Error(`not within ${timeoutMs} ms: ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs `task` for every item with at most `concurrency` at once; results keep item order. */
export async function mapConcurrently<T, R>(
  items: T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index);

/** A signed-up user: session token and a REST client acting as them. */
export interface Member {
  account: Account;
  username: string;
  token: string;
  rest: ApiClient;
}

export async function signUpMember(web: WebApp, prefix = 'user'): Promise<Member> {
  const account = await signUp(web, prefix);
  return {
    account,
    username: account.user.username,
    token: account.token,
    rest: api(web, account.cookie),
  };
}

/** Joins `room` as `member` (see joinRoom). */
export const join = (
  node: NodeAddress,
  room: string,
  member: Member,
  options: Omit<JoinOptions, 'token' | 'username'> = {},
) => joinRoom(node, room, { token: member.token, username: member.username, ...options });

/** The room's stored messages, by seq. */
export function storedMessages(web: WebApp, roomId: number): Promise<MessageRow[]> {
  return web.deps.db<MessageRow>('messages').where({ room_id: roomId }).orderBy('seq');
}
