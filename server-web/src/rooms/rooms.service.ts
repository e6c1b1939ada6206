import type { ListRoomsQuery, Room, RoomsPage } from '@parley/contracts';
import { publishEvent } from '@parley/db';
import { AppError, isUniqueViolation, type Session } from '@parley/server-kit';
import type { AppDeps } from '../deps';
import { invalidateFor } from './room-reads';

// The cursor is the last name of the previous page, opaque to clients.
const encodeCursor = (name: string) => Buffer.from(name, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string {
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (name.length === 0 || name.includes('\0') || encodeCursor(name) !== cursor) {
    throw new AppError('validation_failed', 'The cursor is not valid', [
      { path: 'cursor', message: 'Use the nextCursor of a previous page' },
    ]);
  }
  return name;
}

type Deps = Pick<AppDeps, 'rooms' | 'transaction' | 'readCache'>;

export function createRoomsService({ rooms, transaction, readCache }: Deps) {
  return {
    async list(query: ListRoomsQuery): Promise<RoomsPage> {
      const found = await rooms.search({
        // Names are stored lower-cased; folding q here too keeps non-ASCII matching case-insensitive
        // even where the database's ctype is "C" (ILIKE there folds ASCII only).
        query: query.q?.normalize('NFC').toLowerCase(),
        afterName: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
        limit: query.limit + 1,
      });
      const page = found.slice(0, query.limit);
      const hasMore = found.length > query.limit;
      return {
        rooms: page,
        nextCursor: hasMore ? encodeCursor(page[page.length - 1]!.name) : null,
      };
    },

    /** Creates the room; every node hears of it after commit, this one before it answers. */
    async create(name: string, session: Session): Promise<Room> {
      try {
        const { room, event } = await transaction(async (tx) => {
          const inserted = await rooms.insert(name, session.userId, tx);
          const created = {
            type: 'room_created',
            roomId: inserted.id,
            roomName: inserted.name,
          } as const;
          await publishEvent(tx, created);
          return { room: inserted, event: created };
        });
        invalidateFor(readCache, event);
        return room;
      } catch (error) {
        if (isUniqueViolation(error, 'chat_rooms_name_unique')) {
          throw new AppError('room_exists', 'A room with that name exists');
        }
        throw error;
      }
    },

    async get(name: string): Promise<Room> {
      const room = await rooms.findByName(name);
      if (!room) throw new AppError('room_not_found', 'This room does not exist');
      return room;
    },

    /** Deletes the room and, by cascade, its messages; every node hears of it after commit. */
    async delete(name: string, session: Session): Promise<void> {
      const deleted = await transaction(async (tx) => {
        const room = await rooms.findByName(name, tx);
        if (!room) throw new AppError('room_not_found', 'This room does not exist');
        if (room.owner.id !== session.userId) {
          throw new AppError('forbidden', 'Only the owner of a room can delete it');
        }
        await rooms.deleteById(room.id, tx);
        const event = { type: 'room_deleted', roomId: room.id, roomName: room.name } as const;
        await publishEvent(tx, event);
        return event;
      });
      invalidateFor(readCache, deleted);
    },
  };
}

export type RoomsService = ReturnType<typeof createRoomsService>;
