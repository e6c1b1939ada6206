import {
  roomNamespace,
  type ClientToServerEvents,
  type HandshakeAuth,
  type Message,
  type MessageAck,
  type ServerToClientEvents,
} from '@parley/contracts';
import { io, type Socket } from 'socket.io-client';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type ServerEvent = keyof ServerToClientEvents;
export type PayloadOf<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

/** What a client saw, in arrival order: server events plus `disconnect` (payload = reason). */
export type Recorded =
  | { [E in ServerEvent]: { event: E; payload: PayloadOf<E>; at: number } }[ServerEvent]
  | { event: 'disconnect'; payload: string; at: number };

export const WAIT_MS = 5_000;
const ACK_TIMEOUT_MS = 5_000;

export interface ConnectOptions {
  token?: string;
  lastSeq?: number;
  transport?: 'websocket' | 'polling';
  /** Sent with the handshake (Origin, Cookie); over websocket too, as Node clients can. */
  headers?: Record<string, string>;
  /** The namespace as given, without encoding (for non-canonical or malformed names). */
  rawNamespace?: string;
  /** Query parameters of every Engine.IO request (e.g. nginx's `sticky` routing key). */
  query?: Record<string, string>;
}

export interface ChatClient {
  socket: ChatSocket;
  /** Everything received since the socket was created, in arrival order. */
  events: Recorded[];
  /** The payloads of one event type, in arrival order. */
  of<E extends ServerEvent>(event: E): PayloadOf<E>[];
  /** The messages of every `message` broadcast received, in arrival order. */
  messages(): Message[];
  /** Resolves with the first truthy value of `probe`, re-checked on each event; rejects on timeout. */
  waitFor<T>(probe: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Resolves with the arrival time once the socket is disconnected. */
  disconnected(timeoutMs?: number): Promise<number>;
  send(content: string, clientId?: string): Promise<MessageAck>;
  /** Emits `message` with any payload, bypassing the event types (invalid input on purpose). */
  sendRaw(payload: unknown): Promise<MessageAck>;
  close(): void;
}

export type Outcome =
  | { outcome: 'connect'; client: ChatClient }
  | { outcome: 'connect_error'; error: Error; client: ChatClient };

const open = new Set<ChatClient>();

/** Closes every client opened through this module (for afterEach). */
export function closeAllClients(): void {
  for (const client of open) client.close();
  open.clear();
}

/**
 * Opens a Socket.IO connection to a room's namespace and resolves once the handshake is decided,
 * either way: refusals are an outcome to assert, not a failure of the helper.
 */
export function tryConnect(
  url: string,
  roomName: string,
  options: ConnectOptions = {},
): Promise<Outcome> {
  const auth: HandshakeAuth = {};
  if (options.token !== undefined) auth.token = options.token;
  if (options.lastSeq !== undefined) auth.lastSeq = options.lastSeq;
  const socket: ChatSocket = io(url + (options.rawNamespace ?? roomNamespace(roomName)), {
    auth: { ...auth },
    transports: [options.transport ?? 'websocket'],
    extraHeaders: options.headers,
    ...(options.query && { query: options.query }),
    forceNew: true,
    reconnection: false,
    timeout: WAIT_MS,
  });
  const client = recordingClient(socket);
  open.add(client);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ outcome: 'connect', client }));
    socket.once('connect_error', (error) => {
      resolve({ outcome: 'connect_error', error, client });
    });
  });
}

/** Connects and fails the test when the handshake is refused. */
export async function connect(
  url: string,
  roomName: string,
  options: ConnectOptions = {},
): Promise<ChatClient> {
  const result = await tryConnect(url, roomName, options);
  if (result.outcome === 'connect_error') {
    throw new Error(`connecting to ${roomName} was refused: ${result.error.message}`);
  }
  return result.client;
}

/**
 * Connects and resolves once the member is live: at its first presence, which the contract sends
 * after history. A message committed before then reaches this member inside its history, not as a
 * `message` event, so a test that counts `message` events starts sending only after this.
 */
export async function connectLive(
  url: string,
  roomName: string,
  options: ConnectOptions = {},
): Promise<ChatClient> {
  const client = await connect(url, roomName, options);
  await client.waitFor(() => client.of('presence').length > 0);
  return client;
}

function recordingClient(socket: ChatSocket): ChatClient {
  const events: Recorded[] = [];
  const wakers = new Set<() => void>();
  const record = (entry: Recorded) => {
    events.push(entry);
    for (const wake of [...wakers]) wake();
  };
  socket.onAny((event: ServerEvent, payload: unknown) => {
    record({ event, payload, at: Date.now() } as Recorded);
  });
  socket.on('disconnect', (reason) =>
    record({ event: 'disconnect', payload: reason, at: Date.now() }),
  );

  const of = <E extends ServerEvent>(event: E): PayloadOf<E>[] =>
    events.filter((entry) => entry.event === event).map((entry) => entry.payload as PayloadOf<E>);

  const waitFor = <T>(probe: () => T | undefined | null | false, timeoutMs = WAIT_MS) =>
    new Promise<T>((resolve, reject) => {
      const wake = () => {
        const value = probe();
        if (value === undefined || value === null || value === false) return;
        clearTimeout(timer);
        wakers.delete(wake);
        resolve(value);
      };
      const timer = setTimeout(() => {
        wakers.delete(wake);
        const seen = events.map((entry) => entry.event).join(', ');
        reject(new Error(`condition not met within ${timeoutMs} ms; events seen: [${seen}]`));
      }, timeoutMs);
      wakers.add(wake);
      wake();
    });

  const untyped = socket as unknown as Socket;
  const client: ChatClient = {
    socket,
    events,
    of,
    messages: () => of('message').map((payload) => payload.message),
    waitFor,
    disconnected: (timeoutMs) =>
      waitFor(() => events.find((entry) => entry.event === 'disconnect')?.at, timeoutMs),
    send: (content, clientId) =>
      socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message', { content, clientId }),
    sendRaw: (payload) =>
      untyped.timeout(ACK_TIMEOUT_MS).emitWithAck('message', payload) as Promise<MessageAck>,
    close: () => {
      socket.disconnect();
      open.delete(client);
    },
  };
  return client;
}

/** The message of an ok ack; fails the test with the refusal otherwise. */
export function acked(ack: MessageAck): Message {
  if (!ack.ok) throw new Error(`the message was refused: ${JSON.stringify(ack.error)}`);
  return ack.message;
}

/** Sends a marker and waits until every listed client has its broadcast: all before it arrived. */
export async function sendMarker(sender: ChatClient, observers: ChatClient[]): Promise<Message> {
  const marker = acked(await sender.send(`marker ${Math.random().toString(36).slice(2)}`));
  await Promise.all(
    observers.map((observer) =>
      observer.waitFor(() => observer.messages().some((message) => message.id === marker.id)),
    ),
  );
  return marker;
}

/** The messages a client received before the marker's broadcast. */
export function messagesBefore(client: ChatClient, marker: Message): Message[] {
  const all = client.messages();
  return all.slice(
    0,
    all.findIndex((message) => message.id === marker.id),
  );
}
