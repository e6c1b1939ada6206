import type { Message } from '@parley/contracts';
import { messageEvents, publishEvents, type MessageDraft, type NumberedDraft } from '@parley/db';
import { AppError, toAppError } from '@parley/server-kit';
import type { ChatDeps } from '../deps';

export interface RoomRef {
  id: number;
  name: string;
}

export interface WriteResult {
  message: Message;
  /** False when this sender's clientId was already used: the original is returned, not re-sent. */
  isNew: boolean;
}

interface Pending {
  room: RoomRef;
  draft: MessageDraft;
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

type WriterDeps = Pick<
  ChatDeps,
  'transaction' | 'rooms' | 'messages' | 'metrics' | 'flushWindowMs' | 'maxBatchSize'
>;

const keyOf = (roomId: number, userId: number, clientId: string) =>
  `${roomId}:${userId}:${clientId}`;

/**
 * Group commit: messages submitted while a transaction is in flight wait and are written together
 * by the next one (one lock statement, one multi-row INSERT, one NOTIFY statement), so throughput
 * is not one database round trip per message. One transaction at a time keeps each sender's
 * messages in the order they were sent. Every promise settles only after its batch commits.
 */
export function createMessageWriter(deps: WriterDeps) {
  let queue: Pending[] = [];
  let isFlushing = false;
  let timer: NodeJS.Timeout | undefined;
  let idle: (() => void)[] = [];

  const schedule = () => {
    if (isFlushing || timer || queue.length === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, deps.flushWindowMs);
  };

  const flush = async () => {
    isFlushing = true;
    const batch = queue.slice(0, deps.maxBatchSize);
    queue = queue.slice(batch.length);
    try {
      await commitBatch(batch);
    } catch (error) {
      const appError = toAppError(error);
      for (const pending of batch) pending.reject(appError);
    } finally {
      isFlushing = false;
      schedule();
      if (queue.length === 0) {
        for (const resolve of idle) resolve();
        idle = [];
      }
    }
  };

  const commitBatch = async (batch: Pending[]) => {
    const settle: (() => void)[] = [];
    await deps.transaction(async (tx) => {
      const roomIds = [...new Set(batch.map((pending) => pending.room.id))].sort((a, b) => a - b);
      // Locked first: a clientId sent to another node at the same time is seen after the lock.
      const liveRooms = await deps.rooms.lockMany(tx, roomIds);
      const keys = batch.flatMap(({ room, draft }) =>
        draft.clientId !== null && liveRooms.has(room.id)
          ? [{ roomId: room.id, userId: draft.userId, clientId: draft.clientId }]
          : [],
      );
      const existing = new Map(
        (await deps.messages.findByClientKeys(tx, keys)).map(({ userId, message }) => [
          keyOf(message.roomId, userId, message.clientId!),
          message,
        ]),
      );
      const fresh: Pending[] = [];
      const freshByKey = new Map<string, Pending>();
      const duplicates: [Pending, Pending][] = [];
      const counts = new Map<number, number>();
      for (const pending of batch) {
        const { room, draft } = pending;
        if (!liveRooms.has(room.id)) {
          settle.push(() =>
            pending.reject(new AppError('room_not_found', 'This room no longer exists')),
          );
          continue;
        }
        const key =
          draft.clientId === null ? undefined : keyOf(room.id, draft.userId, draft.clientId);
        const original = key && existing.get(key);
        if (original) {
          settle.push(() => pending.resolve({ message: original, isNew: false }));
        } else if (key && freshByKey.has(key)) {
          duplicates.push([pending, freshByKey.get(key)!]);
        } else {
          if (key) freshByKey.set(key, pending);
          fresh.push(pending);
          counts.set(room.id, (counts.get(room.id) ?? 0) + 1);
        }
      }
      const nextSeq = await deps.messages.reserveSeqsInRooms(tx, counts);
      const numbered: NumberedDraft[] = fresh.map(({ room, draft }) => {
        const seq = nextSeq.get(room.id)!;
        nextSeq.set(room.id, seq + 1);
        return { ...draft, roomId: room.id, seq };
      });
      const inserted = await deps.messages.insertNumbered(tx, numbered);
      const bySeq = new Map(
        inserted.map((message) => [`${message.roomId}:${message.seq}`, message]),
      );
      const results = new Map<Pending, Message>();
      fresh.forEach((pending, index) => {
        const message = bySeq.get(`${pending.room.id}:${numbered[index]!.seq}`)!;
        results.set(pending, message);
        settle.push(() => pending.resolve({ message, isNew: true }));
      });
      for (const [pending, first] of duplicates) {
        settle.push(() => pending.resolve({ message: results.get(first)!, isNew: false }));
      }
      const rooms = new Map(fresh.map(({ room }) => [room.id, room]));
      await publishEvents(
        tx,
        [...rooms.values()].flatMap((room) =>
          messageEvents(
            room,
            inserted.filter((message) => message.roomId === room.id),
          ),
        ),
      );
      deps.metrics.batchSize.observe(batch.length);
      deps.metrics.messagesPersisted.inc(inserted.length);
    });
    // Acks leave only once the transaction has committed.
    for (const run of settle) run();
  };

  return {
    submit(room: RoomRef, draft: MessageDraft): Promise<WriteResult> {
      return new Promise((resolve, reject) => {
        queue.push({ room, draft, resolve, reject });
        schedule();
      });
    },
    /** Resolves once every submitted message is committed (or failed): for graceful shutdown. */
    drain(): Promise<void> {
      if (queue.length === 0 && !isFlushing) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}

export type MessageWriter = ReturnType<typeof createMessageWriter>;
