import { randomUUID } from 'node:crypto';
import {
  roomNamespace,
  type ClientToServerEvents,
  type Message,
  type MessageAck,
  type ServerToClientEvents,
} from '@parley/contracts';
import { io, type Socket } from 'socket.io-client';

/**
 * A chat client as the web client behaves, for fault tests: it reconnects on its own, asks for
 * what it missed with `auth.lastSeq`, keeps its view by `seq`, and keeps an outbox whose unacked
 * messages are sent again with the same clientId.
 */
export interface OutboxClient {
  readonly username: string;
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  /** The room as this client saw it (history and live), by seq. */
  readonly view: Map<number, Message>;
  /** Messages received again for a seq already held (harmless; counted for the report). */
  readonly redeliveries: number;
  /** A seq that arrived with another message than the one held: must never happen. */
  readonly conflicts: string[];
  /** Acknowledged messages by clientId. */
  readonly acked: Map<string, Message>;
  /** Acks that refused a message for good (anything but rate_limited / unavailable). */
  readonly refusals: string[];
  /** Every time the connection was lost, and when it came back (performance.now()). */
  readonly outages: { lostAt: number; backAt?: number }[];
  /** The clientIds sent more than once (after an ack timeout, a failure or a reconnect). */
  readonly resent: Set<string>;
  /** Queues a message; it leaves with the next sendNext() calls. */
  enqueue(content: string): void;
  /** Sends the oldest unacked message not on its way, when connected; one per call (pacing). */
  sendNext(): void;
  /** Messages not acknowledged yet. */
  outboxSize(): number;
  /** The clientIds sent and not acknowledged yet. */
  inFlight(): string[];
  close(): void;
}

interface Outgoing {
  clientId: string;
  content: string;
  attempts: number;
  isInFlight: boolean;
}

const RETRYABLE = new Set(['rate_limited', 'unavailable']);

export function connectOutboxClient(options: {
  url: string;
  room: string;
  token: string;
  username: string;
  sticky: string;
  ackTimeoutMs?: number;
}): Promise<OutboxClient> {
  const view = new Map<number, Message>();
  const acked = new Map<string, Message>();
  const outbox = new Map<string, Outgoing>();
  const conflicts: string[] = [];
  const refusals: string[] = [];
  const outages: { lostAt: number; backAt?: number }[] = [];
  let contiguous = 0;
  let redeliveries = 0;
  const resent = new Set<string>();

  const socket: OutboxClient['socket'] = io(options.url + roomNamespace(options.room), {
    transports: ['websocket'],
    query: { sticky: options.sticky },
    // Read on every (re)connection: the history then brings exactly what is missing.
    auth: (callback) => callback({ token: options.token, lastSeq: contiguous }),
    forceNew: true,
  });

  const receive = (message: Message) => {
    const held = view.get(message.seq);
    if (held) {
      redeliveries += 1;
      if (held.id !== message.id) conflicts.push(`seq ${message.seq}: ${held.id}, ${message.id}`);
      return;
    }
    view.set(message.seq, message);
    while (view.has(contiguous + 1)) contiguous += 1;
  };
  socket.on('history', ({ messages }) => messages.forEach(receive));
  socket.on('message', ({ message }) => receive(message));
  socket.on('disconnect', () => {
    outages.push({ lostAt: performance.now() });
    // Whatever was on its way may or may not have been stored: it goes again, same clientId.
    for (const entry of outbox.values()) entry.isInFlight = false;
  });
  socket.on('connect', () => {
    const outage = outages.at(-1);
    if (outage && outage.backAt === undefined) outage.backAt = performance.now();
  });

  const onAck = (entry: Outgoing, attempt: number, error: Error | null, ack?: MessageAck) => {
    if (acked.has(entry.clientId)) return;
    if (!error && ack?.ok) {
      acked.set(entry.clientId, ack.message);
      outbox.delete(entry.clientId);
      return;
    }
    if (!error && ack && !ack.ok && !RETRYABLE.has(ack.error.code)) {
      refusals.push(`${entry.clientId}: ${ack.error.code}`);
      outbox.delete(entry.clientId);
      return;
    }
    // A timeout, a lost connection, or "try again later": resend unless a newer attempt is out.
    if (entry.attempts === attempt) entry.isInFlight = false;
  };

  const client: OutboxClient = {
    username: options.username,
    socket,
    view,
    acked,
    conflicts,
    refusals,
    outages,
    get redeliveries() {
      return redeliveries;
    },
    resent,
    enqueue(content) {
      const clientId = randomUUID();
      outbox.set(clientId, { clientId, content, attempts: 0, isInFlight: false });
    },
    sendNext() {
      if (!socket.connected) return;
      const entry = [...outbox.values()].find((candidate) => !candidate.isInFlight);
      if (!entry) return;
      entry.attempts += 1;
      if (entry.attempts > 1) resent.add(entry.clientId);
      entry.isInFlight = true;
      const attempt = entry.attempts;
      socket
        .timeout(options.ackTimeoutMs ?? 5_000)
        .emit('message', { content: entry.content, clientId: entry.clientId }, (error, ack) =>
          onAck(entry, attempt, error, ack),
        );
    },
    outboxSize: () => outbox.size,
    inFlight: () =>
      [...outbox.values()].filter((entry) => entry.isInFlight).map((entry) => entry.clientId),
    close: () => void socket.close(),
  };

  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(new Error(`${options.username} could not connect: ${error.message}`));
    });
  });
}
