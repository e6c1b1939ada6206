import type { Message } from '@parley/contracts';
import type { Knex } from 'knex';
import pg from 'pg';

/** Events that committed changes publish to every node (PostgreSQL NOTIFY). */
export type CommittedEvent =
  | {
      /**
       * Messages committed in one room, ascending by seq, up to and including `lastSeq`. A message
       * too large for a NOTIFY payload is left out: listeners read (their last seq, lastSeq] then.
       * Published by the database itself (migration write_messages_function), in chunks of at
       * most 7,800 bytes.
       */
      type: 'messages_created';
      roomId: number;
      roomName: string;
      lastSeq: number;
      messages: Message[];
    }
  | { type: 'room_created'; roomId: number; roomName: string }
  | { type: 'room_deleted'; roomId: number; roomName: string }
  /** `exp`: the token's expiry (seconds since the epoch), after which it is refused anyway. */
  | { type: 'token_revoked'; jti: string; userId: number; exp: number };

/** Every event travels on this channel: chat and website nodes follow all of them. */
export const EVENTS_CHANNEL = 'parley_events';

/**
 * Queues the events in `tx`, in order, with one statement: listeners receive them when, and only
 * if, the transaction commits, in commit order.
 */
export async function publishEvents(
  tx: Knex | Knex.Transaction,
  events: CommittedEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await tx.raw(
    'SELECT pg_notify(?, payload) FROM unnest(?::text[]) WITH ORDINALITY AS e(payload, n) ORDER BY n',
    [EVENTS_CHANNEL, events.map((event) => JSON.stringify(event))],
  );
}

export function publishEvent(tx: Knex | Knex.Transaction, event: CommittedEvent): Promise<void> {
  return publishEvents(tx, [event]);
}

export interface EventListener {
  close(): Promise<void>;
}

export interface ListenOptions {
  databaseUrl: string;
  onEvent: (event: CommittedEvent) => void;
  /** Called after a lost listening connection is back: events in the gap were not received. */
  onReconnect?: () => void;
  /** Called when the listening connection is lost: events are not received until it is back. */
  onDisconnect?: () => void;
  /**
   * Whether listenEvents resolves before the first connection is made, retrying until it is
   * (onReconnect then says it listens), instead of failing when the database cannot be reached.
   */
  isPatient?: boolean;
  onError?: (error: unknown) => void;
  retryDelayMs?: number;
  /** Names the listening connection in pg_stat_activity (for operators and tests). */
  applicationName?: string;
}

/** How long connecting and starting to LISTEN may take before the attempt is given up. */
const CONNECT_TIMEOUT_MS = 5_000;

/** Listens on a dedicated connection and reconnects on its own until closed. */
export async function listenEvents(options: ListenOptions): Promise<EventListener> {
  let client: pg.Client | undefined;
  let isClosed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  /** Resolves false when the listener was closed meanwhile (the connection is then ended). */
  const connect = async (): Promise<boolean> => {
    const next = new pg.Client({
      connectionString: options.databaseUrl,
      keepAlive: true,
      // A server (or pooler) that accepts and then never answers would hold this attempt, and
      // with it every event, forever: the attempt fails instead, and the next one is made.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: CONNECT_TIMEOUT_MS,
      application_name: options.applicationName,
    });
    next.on('notification', (notification) => {
      if (notification.channel !== EVENTS_CHANNEL || !notification.payload) return;
      // A throw here would escape through pg's socket handler and crash the process.
      try {
        options.onEvent(JSON.parse(notification.payload) as CommittedEvent);
      } catch (error) {
        options.onError?.(error);
      }
    });
    next.on('error', (error) => {
      options.onError?.(error);
      scheduleReconnect(next);
    });
    next.on('end', () => scheduleReconnect(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (error) {
      next.end().catch(() => undefined);
      throw error;
    }
    // close() ran while this (re)connection was in flight: it must not outlive the listener.
    if (isClosed) {
      next.end().catch(() => undefined);
      return false;
    }
    client = next;
    return true;
  };

  /** A (re)connection; once it listens, onReconnect says so. */
  const attempt = () => {
    connect().then(
      (isListening) => {
        if (isListening) options.onReconnect?.();
      },
      (error: unknown) => {
        options.onError?.(error);
        retry();
      },
    );
  };
  const retry = () => {
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (!isClosed) attempt();
    }, options.retryDelayMs ?? 500);
  };

  const scheduleReconnect = (failed: pg.Client) => {
    if (isClosed || client !== failed || retryTimer) return;
    client = undefined;
    failed.end().catch(() => undefined);
    options.onDisconnect?.();
    retry();
  };

  if (options.isPatient) attempt();
  else await connect();
  return {
    async close() {
      isClosed = true;
      clearTimeout(retryTimer);
      await client?.end().catch(() => undefined);
    },
  };
}
