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

/** A message to store with its seq already taken (see reserveSeqsInRooms). */
export interface NumberedDraft extends MessageDraft {
  roomId: number;
  seq: number;
}

export interface ClientKey {
  roomId: number;
  userId: number;
  clientId: string;
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

    /**
     * The batch form of reserveSeqs for several rooms in one statement: room id → first seq of
     * the `count` taken. Rooms missing from the result are gone.
     */
    async reserveSeqsInRooms(tx: Tx, counts: Map<number, number>): Promise<Map<number, number>> {
      if (counts.size === 0) return new Map();
      const roomIds = [...counts.keys()];
      const { rows } = await tx.raw<{ rows: { id: number; last_seq: number }[] }>(
        `UPDATE chat_rooms AS c SET last_seq = c.last_seq + v.n
         FROM (SELECT * FROM unnest(?::int[], ?::int[]) AS t(id, n)) AS v
         WHERE c.id = v.id RETURNING c.id, c.last_seq`,
        [roomIds, roomIds.map((id) => counts.get(id)!)],
      );
      return new Map(rows.map((row) => [row.id, row.last_seq - counts.get(row.id)! + 1]));
    },

    /** Existing messages for any of these (room, sender, clientId) keys, with their sender. */
    async findByClientKeys(
      executor: Executor,
      keys: ClientKey[],
    ): Promise<{ userId: number; message: Message }[]> {
      if (keys.length === 0) return [];
      const { rows } = await executor.raw<{ rows: MessageRow[] }>(
        `SELECT m.* FROM messages m
         JOIN unnest(?::int[], ?::int[], ?::text[]) AS k(room_id, user_id, client_id)
           ON m.room_id = k.room_id AND m.user_id = k.user_id AND m.client_id = k.client_id`,
        [keys.map((k) => k.roomId), keys.map((k) => k.userId), keys.map((k) => k.clientId)],
      );
      return rows.map((row) => ({ userId: row.user_id!, message: toMessage(row) }));
    },

    /** One multi-row INSERT for drafts of any rooms, numbered already; ascending by seq. */
    async insertNumbered(tx: Tx, drafts: NumberedDraft[]): Promise<Message[]> {
      if (drafts.length === 0) return [];
      const rows = await tx('messages')
        .insert(
          drafts.map((draft) => ({
            room_id: draft.roomId,
            seq: draft.seq,
            user_id: draft.userId,
            username: draft.username,
            content: draft.content,
            client_id: draft.clientId,
          })),
        )
        .returning<MessageRow[]>('*');
      return rows.map(toMessage).sort((a, b) => a.roomId - b.roomId || a.seq - b.seq);
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
