import type { Message } from '@parley/contracts';
import pg from 'pg';

/** A message to write, for a room (the chat service's group commit, or one REST post). */
export interface RoomDraft {
  roomId: number;
  userId: number;
  username: string;
  content: string;
  clientId: string | null;
}

/** What became of one draft of a batch. */
export type DraftOutcome =
  | { outcome: 'new'; message: Message }
  /** Its clientId was used before (or earlier in the batch): the original message. */
  | { outcome: 'repeat'; message: Message }
  | { outcome: 'room_gone' };

export interface WrittenRow {
  ord: number;
  outcome: 'new' | 'repeat' | 'room_gone';
  id: number;
  room_id: number;
  seq: number;
  username: string;
  content: string;
  client_id: string | null;
  timestamp: string;
}

/**
 * Locks the rooms, returns the original for a clientId already used, numbers and inserts the
 * rest and announces them on parley_events, all in one statement and one transaction (migration
 * write_messages_function, replaced by streamline_write_messages_function). One row per draft,
 * in order.
 */
export const WRITE_BATCH_SQL =
  'SELECT * FROM parley_write_messages(?::int[], ?::int[], ?::text[], ?::text[], ?::text[])';

/** The same statement with pg's numbered placeholders, for a prepared statement outside knex. */
export const WRITE_BATCH_STATEMENT = WRITE_BATCH_SQL.split('?').reduce(
  (text, part, index) => `${text}$${index}${part}`,
);

export function batchParameters(drafts: RoomDraft[]): string[][] {
  return [
    drafts.map((draft) => String(draft.roomId)),
    drafts.map((draft) => String(draft.userId)),
    drafts.map((draft) => draft.username),
    drafts.map((draft) => draft.content),
    // pg sends null elements as SQL NULL.
    drafts.map((draft) => draft.clientId) as string[],
  ];
}

export function toOutcomes(rows: WrittenRow[]): DraftOutcome[] {
  return rows.map((row) =>
    row.outcome === 'room_gone'
      ? { outcome: 'room_gone' }
      : {
          outcome: row.outcome,
          message: {
            id: Number(row.id),
            roomId: row.room_id,
            seq: Number(row.seq),
            username: row.username,
            content: row.content,
            timestamp: row.timestamp,
            clientId: row.client_id,
          },
        },
  );
}

/** How long the writer may wait for a new connection before the batch fails (`unavailable`). */
const CONNECT_TIMEOUT_MS = 2_000;

export interface MessageBatchWriter {
  write(drafts: RoomDraft[]): Promise<DraftOutcome[]>;
  close(): Promise<void>;
}

/**
 * The chat service's writer connection: one (the writer sends one batch at a time), outside the
 * knex pool, with the statement prepared once. Through knex each batch paid for building the
 * query and rewriting its placeholders, and PostgreSQL parsed and planned it anew: together
 * most of a chat node's CPU per batch at a few hundred messages per second. pg.Pool reconnects
 * after a lost connection; connecting gives up after CONNECT_TIMEOUT_MS, queries after
 * `queryTimeoutMs`.
 */
export function createMessageBatchWriter(
  databaseUrl: string,
  queryTimeoutMs = 10_000,
): MessageBatchWriter {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 1,
    // PostgreSQL keeps this session's plans of parley_write_messages for as long as it lives,
    // made for the table as it was then: a new session now and then plans for the table as it is.
    maxLifetimeSeconds: 600,
    // Without it, a connection accepted and never answered (a pooler whose server went away)
    // would hold the only connection's place, and every batch after it, for good.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: queryTimeoutMs,
    application_name: 'parley-chat-writer',
  });
  // An idle connection that dies is replaced at the next batch; the error is not the caller's.
  pool.on('error', () => undefined);
  return {
    async write(drafts) {
      if (drafts.length === 0) return [];
      const { rows } = await pool.query<WrittenRow>({
        name: 'parley_write_messages',
        text: WRITE_BATCH_STATEMENT,
        values: batchParameters(drafts),
      });
      return toOutcomes(rows);
    },
    close: () => pool.end(),
  };
}
