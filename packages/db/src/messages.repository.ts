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

async function readPage(
  query: Knex.QueryBuilder<MessageRow, MessageRow[]>,
  page: HistoryPage,
): Promise<Message[]> {
  query.limit(page.limit);
  if ('afterSeq' in page) {
    return (await query.where('seq', '>', page.afterSeq).orderBy('seq', 'asc')).map(toMessage);
  }
  if ('beforeSeq' in page) query.where('seq', '<', page.beforeSeq);
  return (await query.orderBy('seq', 'desc')).map(toMessage).reverse();
}

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
      const roomId = () => db('chat_rooms').select('id').where('name', roomName);
      const messages = await readPage(db<MessageRow>('messages').where('room_id', roomId()), page);
      if (messages.length > 0) return messages;
      // An empty page of a room, or no room at all.
      return (await roomId().first()) ? [] : undefined;
    },

    async findById(id: number): Promise<Message | undefined> {
      const row = await db<MessageRow>('messages').where({ id }).first();
      return row && toMessage(row);
    },
  };
}

export type MessagesRepository = ReturnType<typeof createMessagesRepository>;
