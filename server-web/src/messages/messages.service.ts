import type { HistoryQuery, Message, PostMessageBody } from '@parley/contracts';
import { messageEvents, publishEvents } from '@parley/db';
import { AppError, type Session } from '@parley/server-kit';
import type { AppDeps } from '../deps';
import type { RoomsService } from '../rooms/rooms.service';

type Deps = Pick<AppDeps, 'messages' | 'rooms' | 'transaction' | 'messageLimiter'>;

const roomNotFound = () => new AppError('room_not_found', 'This room does not exist');

export function createMessagesService(deps: Deps, roomsService: RoomsService) {
  const { messages, rooms, transaction, messageLimiter } = deps;
  return {
    async history(roomName: string, query: HistoryQuery): Promise<Message[]> {
      const room = await roomsService.get(roomName);
      return messages.history(room.id, query);
    },

    /**
     * Appends a message with the room's next seq. A clientId this sender already used in the room
     * returns the original message, and nothing new is stored or published.
     */
    async post(roomName: string, body: PostMessageBody, session: Session): Promise<Message> {
      const room = await roomsService.get(roomName);
      await messageLimiter.consume(session.userId);
      const clientId = body.clientId ?? null;
      return transaction(async (tx) => {
        // Under the room's row lock a concurrent send of the same clientId cannot slip in between.
        if (clientId !== null) {
          if (!(await rooms.lock(tx, room.id))) throw roomNotFound();
          const [original] = await messages.findByClientIds(tx, room.id, session.userId, [
            clientId,
          ]);
          if (original) return original;
        }
        const firstSeq = await messages.reserveSeqs(tx, room.id, 1);
        if (firstSeq === undefined) throw roomNotFound();
        const draft = {
          userId: session.userId,
          username: session.username,
          content: body.content,
          clientId,
        };
        const [message] = await messages.insertMany(tx, room.id, firstSeq, [draft]);
        await publishEvents(tx, messageEvents(room, [message!]));
        return message!;
      });
    },
  };
}
