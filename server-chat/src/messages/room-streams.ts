import type { Message, PlainServerFrame } from '@parley/contracts';
import type { Logger } from '@parley/server-kit';
import type { ChatDeps } from '../deps';
import { LIVE, type RoomNamespace, type RoomSocket } from '../socket/types';
import type { RoomRef } from './message-writer';

const HISTORY_PAGE = 500;
const LATEST = 50;

/** A plain WebSocket member of a room. */
export interface PlainMember {
  /** Sends the frames in order, in one write where the connection allows. */
  send(frames: string[]): void;
  /** Sends a last frame, then closes (e.g. the room was deleted). */
  close(lastFrame: string): void;
}

type StreamDeps = Pick<ChatDeps, 'rooms' | 'messages' | 'logger'>;

/**
 * One room's ordered delivery on this node. `lastSeq` is the last seq every live member has
 * received; it only moves forward, and each move delivers exactly the messages in between, read
 * from the committed events or, for any gap, from the database. Joins run in the same queue, so
 * a joining client gets history up to a seq and live messages from the next one: no gap, no
 * duplicate, in seq order, whichever node or REST call wrote them.
 */
export class RoomStream {
  private lastSeq: number | undefined;
  private queue: Promise<void> = Promise.resolve();
  readonly plainMembers = new Set<PlainMember>();
  namespace: RoomNamespace | undefined;

  constructor(
    readonly room: RoomRef,
    private readonly deps: StreamDeps,
  ) {}

  enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch((error: unknown) =>
      this.deps.logger.error({ err: error, room: this.room.name }, 'room stream task failed'),
    );
    return run;
  }

  /** Delivers every message up to `targetSeq`, using `known` ones and reading the rest. */
  async advanceTo(targetSeq: number, known: Message[] = []): Promise<void> {
    // Only a stream whose first join failed has no start yet: it starts at the room's seq.
    this.lastSeq ??= (await this.deps.rooms.lastSeq(this.room.id)) ?? 0;
    let from = this.lastSeq;
    while (from < targetSeq) {
      const after = from;
      let batch = known.filter((message) => message.seq > after && message.seq <= targetSeq);
      if (batch.length !== targetSeq - after || batch[0]?.seq !== after + 1) {
        batch = await this.deps.messages.range(this.room.id, after, targetSeq, HISTORY_PAGE);
        if (batch.length === 0) break; // not committed yet: it comes with its own event
      }
      this.deliver(batch);
      from = this.lastSeq = batch.at(-1)!.seq;
    }
  }

  /**
   * Catches up again from the database (after missed events, e.g. a lost listener); false when
   * the room no longer exists.
   */
  async resync(): Promise<boolean> {
    const current = await this.deps.rooms.lastSeq(this.room.id);
    if (current === undefined) return false;
    await this.advanceTo(current);
    return true;
  }

  /**
   * Sends `history` (messages after `afterSeq`, all of them in pages, else the latest 50), brings
   * the stream up to the same point, then makes the member live.
   */
  async join(
    send: (messages: Message[]) => void,
    afterSeq: number | undefined,
    goLive: () => void,
  ) {
    const current = (await this.deps.rooms.lastSeq(this.room.id)) ?? 0;
    // A lastSeq beyond the room's (e.g. a room deleted and created again) starts afresh.
    const from = afterSeq !== undefined && afterSeq <= current ? afterSeq : undefined;
    let sent: Message[];
    if (from === undefined) {
      sent = await this.deps.messages.history(this.room.id, { limit: LATEST });
      send(sent);
    } else {
      sent = [];
      let cursor = from;
      for (;;) {
        const page = await this.deps.messages.history(this.room.id, {
          afterSeq: cursor,
          limit: HISTORY_PAGE,
        });
        if (page.length > 0 || cursor === from) send(page);
        sent = page;
        if (page.length < HISTORY_PAGE) break;
        cursor = page.at(-1)!.seq;
      }
    }
    const upTo = Math.max(sent.at(-1)?.seq ?? 0, from ?? 0, current);
    // A new stream starts where its first member's history ends: reading the room's seq again
    // could skip a message committed since `current` was read.
    this.lastSeq ??= upTo;
    await this.advanceTo(upTo, sent);
    goLive();
  }

  /** A batch in seq order: Socket.IO members get an event each, plain members one send. */
  deliver(messages: Message[]): void {
    for (const message of messages) this.namespace?.local.to(LIVE).emit('message', { message });
    if (this.plainMembers.size > 0) {
      const frames = messages.map(plainFrame);
      for (const member of this.plainMembers) member.send(frames);
    }
  }
}

const plainFrame = (message: Message) =>
  JSON.stringify({ type: 'message', message } satisfies PlainServerFrame);

/** The room streams of this node, one per room that has clients here. */
export function createRoomStreams(deps: StreamDeps & { logger: Logger }) {
  const streams = new Map<number, RoomStream>();

  const streamFor = (room: RoomRef) => {
    let stream = streams.get(room.id);
    if (!stream) {
      stream = new RoomStream(room, deps);
      streams.set(room.id, stream);
    }
    return stream;
  };

  return {
    /** Committed messages of a room (from the NOTIFY stream). Rooms without clients here skip. */
    onMessages(roomId: number, lastSeq: number, messages: Message[]): void {
      const stream = streams.get(roomId);
      if (stream) void stream.enqueue(() => stream.advanceTo(lastSeq, messages));
    },

    joinSocket(socket: RoomSocket, afterSeq: number | undefined): Promise<void> {
      const stream = streamFor(socket.data.room);
      stream.namespace = socket.nsp;
      return stream.enqueue(() =>
        stream.join(
          (messages) => socket.emit('history', { messages }),
          afterSeq,
          () => {
            if (socket.connected) void socket.join(LIVE);
          },
        ),
      );
    },

    /**
     * Plain clients get no history: every message after `fromSeq` (the room's seq when their
     * upgrade was accepted), as message frames, then live ones.
     */
    joinPlain(room: RoomRef, member: PlainMember, fromSeq: number): Promise<void> {
      const stream = streamFor(room);
      return stream.enqueue(() =>
        stream.join(
          (messages) => member.send(messages.map(plainFrame)),
          fromSeq,
          () => stream.plainMembers.add(member),
        ),
      );
    },

    leavePlain(roomId: number, member: PlainMember): void {
      streams.get(roomId)?.plainMembers.delete(member);
    },

    /** Runs `task` after the room's pending deliveries (e.g. room deletion after its last message). */
    afterDeliveries(roomId: number, task: (stream: RoomStream) => void): void {
      const stream = streams.get(roomId);
      if (stream) {
        void stream.enqueue(() => {
          task(stream);
          return Promise.resolve();
        });
      }
    },

    /** Forgets a room with no clients left on this node. */
    release(roomId: number): void {
      const stream = streams.get(roomId);
      if (!stream || stream.plainMembers.size > 0 || (stream.namespace?.sockets.size ?? 0) > 0) {
        return;
      }
      streams.delete(roomId);
    },

    /**
     * Catches every room up after missed events; a room deleted meanwhile (its event was among
     * them) goes to `onGone`, after its pending deliveries.
     */
    resyncAll(onGone: (stream: RoomStream) => void): void {
      for (const stream of streams.values()) {
        void stream.enqueue(async () => {
          if (!(await stream.resync())) onGone(stream);
        });
      }
    },

    get size(): number {
      return streams.size;
    },
  };
}

export type RoomStreams = ReturnType<typeof createRoomStreams>;
