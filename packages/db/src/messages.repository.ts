import type { Message } from '@parley/contracts';
import type { Knex } from 'knex';
import {
  batchParameters,
  toOutcomes,
  WRITE_BATCH_SQL,
  type DraftOutcome,
  type RoomDraft,
  type WrittenRow,
} from './message-batches';
import { queryPrepared, type PreparedStatement } from './prepared';
import { hasNul } from './rooms.repository';
import type { MessageRow } from './rows';

export interface MessageDraft {
  userId: number;
  username: string;
  content: string;
  clientId: string | null;
}

export type HistoryPage =
  { beforeSeq: number; limit: number } | { afterSeq: number; limit: number } | { limit: number };

export const toMessage = (row: MessageRow): Message => ({
  id: row.id,
  roomId: row.room_id,
  seq: row.seq,
  username: row.username,
  content: row.content,
  timestamp: row.timestamp.toISOString(),
  clientId: row.client_id,
});

/**
 * A page's rows in seq order: the page after a seq is read ascending, the others (the latest, or
 * the page before a seq) descending from their end.
 */
function inSeqOrder(rows: MessageRow[], page: HistoryPage): Message[] {
  const messages = rows.map(toMessage);
  return 'afterSeq' in page ? messages : messages.reverse();
}

async function readPage(
  query: Knex.QueryBuilder<MessageRow, MessageRow[]>,
  page: HistoryPage,
): Promise<Message[]> {
  query.limit(page.limit);
  if ('afterSeq' in page) {
    query.where('seq', '>', page.afterSeq).orderBy('seq', 'asc');
  } else {
    if ('beforeSeq' in page) query.where('seq', '<', page.beforeSeq);
    query.orderBy('seq', 'desc');
  }
  return inSeqOrder(await query, page);
}

// A page of the room named $1 ($2 messages), found in the same statement: reading history is then
// one round trip. Each is a range of the unique index on (room_id, seq), whatever the values. The
// columns are named: a prepared `*` fails once a migration adds a column to the table.
const PAGE_OF_ROOM = `
  SELECT id, room_id, seq, user_id, username, content, client_id, timestamp FROM messages
  WHERE room_id = (SELECT id FROM chat_rooms WHERE name = $1)`;
const PAGE_STATEMENTS = {
  latest: { name: 'parley_history_latest', text: `${PAGE_OF_ROOM} ORDER BY seq DESC LIMIT $2` },
  before: {
    name: 'parley_history_before',
    text: `${PAGE_OF_ROOM} AND seq < $3 ORDER BY seq DESC LIMIT $2`,
  },
  after: {
    name: 'parley_history_after',
    text: `${PAGE_OF_ROOM} AND seq > $3 ORDER BY seq ASC LIMIT $2`,
  },
} satisfies Record<string, PreparedStatement>;

export function createMessagesRepository(db: Knex) {
  return {
    /**
     * The chat service's group commit in one statement (migration write_messages_function): locks
     * the rooms, returns the original for a clientId already used, numbers and inserts the rest,
     * and announces them on parley_events, all committed together. One outcome per draft, in order.
     */
    async writeBatch(drafts: RoomDraft[]): Promise<DraftOutcome[]> {
      if (drafts.length === 0) return [];
      const { rows } = await db.raw<{ rows: WrittenRow[] }>(
        WRITE_BATCH_SQL,
        batchParameters(drafts),
      );
      return toOutcomes(rows);
    },

    /** Messages with afterSeq < seq <= uptoSeq, ascending (at most `limit`). */
    async range(
      roomId: number,
      afterSeq: number,
      uptoSeq: number,
      limit: number,
    ): Promise<Message[]> {
      const rows = await db<MessageRow>('messages')
        .where('room_id', roomId)
        .where('seq', '>', afterSeq)
        .where('seq', '<=', uptoSeq)
        .orderBy('seq', 'asc')
        .limit(limit);
      return rows.map(toMessage);
    },

    /** Ascending by seq: the page before or after a seq, or the latest messages. */
    history(roomId: number, page: HistoryPage): Promise<Message[]> {
      return readPage(db<MessageRow>('messages').where('room_id', roomId), page);
    },

    /**
     * The same page of the room named `roomName`, found in the same statement (a read of history
     * is then one round trip, not two); undefined when there is no such room.
     */
    async historyByRoomName(roomName: string, page: HistoryPage): Promise<Message[] | undefined> {
      if (hasNul(roomName)) return undefined;
      const [statement, values] =
        'afterSeq' in page
          ? [PAGE_STATEMENTS.after, [roomName, page.limit, page.afterSeq]]
          : 'beforeSeq' in page
            ? [PAGE_STATEMENTS.before, [roomName, page.limit, page.beforeSeq]]
            : [PAGE_STATEMENTS.latest, [roomName, page.limit]];
      const rows = await queryPrepared<MessageRow>(db, statement, values);
      if (rows.length > 0) return inSeqOrder(rows, page);
      // An empty page of a room, or no room at all.
      return (await db('chat_rooms').where('name', roomName).first('id')) ? [] : undefined;
    },

    async findById(id: number): Promise<Message | undefined> {
      const row = await db<MessageRow>('messages').where({ id }).first();
      return row && toMessage(row);
    },
  };
}

export type MessagesRepository = ReturnType<typeof createMessagesRepository>;
