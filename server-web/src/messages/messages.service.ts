import type { HistoryQuery, Message, PostMessageBody } from '@parley/contracts';
import { AppError, type Session } from '@parley/server-kit';
import type { AppDeps } from '../deps';
import type { RoomsService } from '../rooms/rooms.service';

type Deps = Pick<AppDeps, 'messages' | 'messageLimiter'>;

const roomNotFound = () => new AppError('room_not_found', 'This room does not exist');

export function createMessagesService(deps: Deps, roomsService: RoomsService) {
  const { messages, messageLimiter } = deps;
  return {
    async history(roomName: string, query: HistoryQuery): Promise<Message[]> {
      const page = await messages.historyByRoomName(roomName, query);
      if (!page) throw roomNotFound();
      return page;
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
      return written.message;
    },
  };
}
