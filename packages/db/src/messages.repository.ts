import type { Message } from '@parley/contracts';
import type { Knex } from 'knex';
import type { MessageRow } from './rows';
import type { Executor, Tx } from './transaction';

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

export function createMessagesRepository(db: Knex) {
  return {
    /**
     * Takes `count` seqs from the room under its row lock, which serialises writers of one room
     * until commit: seqs are gapless and follow commit order. Undefined when the room is gone.
     */
    async reserveSeqs(tx: Tx, roomId: number, count: number): Promise<number | undefined> {
      const [row] = await tx('chat_rooms')
        .where({ id: roomId })
        .increment('last_seq', count)
        .returning<{ last_seq: number }[]>('last_seq');
      return row && row.last_seq - count + 1;
    },

    /** Messages this sender already sent with these client ids (for idempotent sends). */
    async findByClientIds(
      executor: Executor,
      roomId: number,
      userId: number,
      clientIds: string[],
    ): Promise<Message[]> {
      if (clientIds.length === 0) return [];
      const rows = await executor<MessageRow>('messages')
        .where({ room_id: roomId, user_id: userId })
        .whereIn('client_id', clientIds);
      return rows.map(toMessage);
    },

    /** One multi-row INSERT; drafts take firstSeq, firstSeq + 1, … in order. */
    async insertMany(
      tx: Tx,
      roomId: number,
      firstSeq: number,
      drafts: MessageDraft[],
    ): Promise<Message[]> {
      const rows = await tx('messages')
        .insert(
          drafts.map((draft, index) => ({
            room_id: roomId,
            seq: firstSeq + index,
            user_id: draft.userId,
            username: draft.username,
            content: draft.content,
            client_id: draft.clientId,
          })),
        )
        .returning<MessageRow[]>('*');
      return rows.map(toMessage).sort((a, b) => a.seq - b.seq);
    },

    /** Ascending by seq: the page before or after a seq, or the latest messages. */
    async history(roomId: number, page: HistoryPage): Promise<Message[]> {
      const query = db<MessageRow>('messages').where('room_id', roomId).limit(page.limit);
      if ('afterSeq' in page) {
        return (await query.where('seq', '>', page.afterSeq).orderBy('seq', 'asc')).map(toMessage);
      }
      if ('beforeSeq' in page) query.where('seq', '<', page.beforeSeq);
      return (await query.orderBy('seq', 'desc')).map(toMessage).reverse();
    },

    async findById(id: number): Promise<Message | undefined> {
      const row = await db<MessageRow>('messages').where({ id }).first();
      return row && toMessage(row);
    },
  };
}

export type MessagesRepository = ReturnType<typeof createMessagesRepository>;
