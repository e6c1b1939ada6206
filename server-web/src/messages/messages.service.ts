import type { HistoryQuery, Message, PostMessageBody } from '@parley/contracts';
import { AppError, type Session } from '@parley/server-kit';
import type { AppDeps } from '../deps';
import { historyScope } from '../rooms/room-reads';
import type { RoomsService } from '../rooms/rooms.service';

type Deps = Pick<AppDeps, 'messages' | 'messageLimiter' | 'readCache'>;

/** A history page, and whether messages written later can still change it. */
export interface HistoryPage {
  messages: Message[];
  isFinal: boolean;
  /**
   * An afterSeq page that is not full: the newest messages, read by a client filling a gap in
   * its live stream, which stops when a page brings nothing new. A copy kept in memory could lag
   * that stream by an event's delay, so these are always read from the database.
   */
  isCatchingUp: boolean;
}

const roomNotFound = () => new AppError('room_not_found', 'This room does not exist');

export function createMessagesService(deps: Deps, roomsService: RoomsService) {
  const { messages, messageLimiter, readCache } = deps;
  return {
    async history(roomName: string, query: HistoryQuery): Promise<HistoryPage> {
      const page = await messages.historyByRoomName(roomName, query);
      if (!page) throw roomNotFound();
      const isFinal = isFinalPage(query, page);
      return { messages: page, isFinal, isCatchingUp: query.afterSeq !== undefined && !isFinal };
    },

    /**
     * Appends a message with the room's next seq. A clientId this sender already used in the room
     * returns the original message, and nothing new is stored or published.
     */
    async post(roomName: string, body: PostMessageBody, session: Session): Promise<Message> {
      const room = await roomsService.get(roomName);
      await messageLimiter.consume(session.userId);
      // The chat service's write, for one message: same locking, numbering and events.
      const [written] = await messages.writeBatch([
        {
          roomId: room.id,
          userId: session.userId,
          username: session.username,
          content: body.content,
          clientId: body.clientId ?? null,
        },
      ]);
      if (!written || written.outcome === 'room_gone') throw roomNotFound();
      // Its event reaches every node after commit; this node's next read must see it already.
      readCache.invalidate(historyScope(room.name));
      return written.message;
    },
  };
}

/**
 * Seqs start at 1, have no gaps and are never reused within a room, and a seq commits only after
 * every lower one: so a page that reaches the seq just below its beforeSeq, or fills its limit
 * after its afterSeq, holds the same messages for as long as the room exists.
 */
function isFinalPage(query: HistoryQuery, page: Message[]): boolean {
  if (query.beforeSeq !== undefined) return page.at(-1)?.seq === query.beforeSeq - 1;
  if (query.afterSeq !== undefined) return page.length === query.limit;
  return false;
}
