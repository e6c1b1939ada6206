import type { Message } from '@parley/contracts';
import type { MessageDraft } from '@parley/db';
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

type WriterDeps = Pick<ChatDeps, 'batchWriter' | 'metrics' | 'flushWindowMs' | 'maxBatchSize'> & {
  /**
   * A room's new messages, right after their commit and before the acks: this node delivers
   * them without waiting for its own NOTIFY to come back (the event then finds them delivered).
   */
  onCommitted?: (roomId: number, messages: Message[]) => void;
};

/**
 * Group commit: messages submitted while a batch is in flight wait and are written together by
 * the next one, in one statement and one round trip (see @parley/db's message-batches), so
 * throughput is not one database round trip per message. One transaction at a time keeps each sender's
 * messages in the order they were sent. Every promise settles only after its batch commits.
 */
export function createMessageWriter(deps: WriterDeps) {
  let queue: Pending[] = [];
  let isFlushing = false;
  let isScheduled = false;
  let lastFlushAt = -Infinity;
  let idle: (() => void)[] = [];

  // At most one batch per flush window, counted from the previous batch's start: an idle writer
  // commits at once (right after the I/O callbacks now pending), a busy one gathers messages for
  // the rest of the window. Fewer, larger batches cost far less CPU per message than many small
  // ones (the benchmark's write-heavy rows and flush-window variations).
  const schedule = () => {
    if (isFlushing || isScheduled || queue.length === 0) return;
    isScheduled = true;
    const run = () => {
      isScheduled = false;
      void flush();
    };
    const wait = lastFlushAt + deps.flushWindowMs - performance.now();
    if (wait <= 0) setImmediate(run);
    else setTimeout(run, wait);
  };

  const flush = async () => {
    isFlushing = true;
    lastFlushAt = performance.now();
    const batch = queue.slice(0, deps.maxBatchSize);
    queue = queue.slice(batch.length);
    try {
      await commitBatch(batch);
    } catch (error) {
      // One draft PostgreSQL refuses (input no schema caught) fails the whole statement, and
      // nothing of it was stored: the drafts are written again one by one, so that a sender's
      // bad message costs no one else theirs.
      if (batch.length > 1 && isRefusedStatement(error)) {
        for (const pending of batch) await commitOrReject([pending]);
      } else {
        rejectAll(batch, error);
      }
    } finally {
      isFlushing = false;
      schedule();
      if (queue.length === 0) {
        for (const resolve of idle) resolve();
        idle = [];
      }
    }
  };

  const commitOrReject = async (batch: Pending[]) => {
    try {
      await commitBatch(batch);
    } catch (error) {
      rejectAll(batch, error);
    }
  };

  // One statement, its own transaction: acks leave only once it has committed.
  const commitBatch = async (batch: Pending[]) => {
    const outcomes = await deps.batchWriter.write(
      batch.map(({ room, draft }) => ({ ...draft, roomId: room.id })),
    );
    deps.metrics.batchSize.observe(batch.length);
    const fresh = outcomes.flatMap((o) => (o.outcome === 'new' ? [o.message] : []));
    deps.metrics.messagesPersisted.inc(fresh.length);
    if (deps.onCommitted) {
      const byRoom = new Map<number, Message[]>();
      for (const message of fresh) {
        const list = byRoom.get(message.roomId);
        if (list) list.push(message);
        else byRoom.set(message.roomId, [message]);
      }
      for (const [roomId, messages] of byRoom) {
        deps.onCommitted(
          roomId,
          messages.sort((a, b) => a.seq - b.seq),
        );
      }
    }
    batch.forEach((pending, index) => {
      const result = outcomes[index]!;
      if (result.outcome === 'room_gone') {
        pending.reject(new AppError('room_not_found', 'This room no longer exists'));
      } else {
        pending.resolve({ message: result.message, isNew: result.outcome === 'new' });
      }
    });
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

function rejectAll(batch: Pending[], error: unknown): void {
  const appError = toAppError(error);
  for (const pending of batch) pending.reject(appError);
}

/**
 * PostgreSQL refused the statement for its input (SQLSTATE class 22, data exception, or 23,
 * integrity constraint violation): it ran and rolled back, so writing its drafts again cannot
 * store one twice. A lost connection or a timeout says nothing of the kind.
 */
function isRefusedStatement(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
