import type { Room } from '@parley/contracts';
import type { Knex } from 'knex';
import type { Executor } from './transaction';

interface RoomWithOwnerRow {
  id: number;
  name: string;
  created_at: Date;
  owner_id: number;
  owner_username: string;
}

export interface RoomSearch {
  /** Substring of the name, matched case-insensitively and literally. */
  query?: string;
  /** Only names after this one (the previous page's last name). */
  afterName?: string;
  limit: number;
}

const toRoom = (row: RoomWithOwnerRow): Room => ({
  id: row.id,
  name: row.name,
  owner: { id: row.owner_id, username: row.owner_username },
  createdAt: row.created_at.toISOString(),
});

// PostgreSQL text cannot hold NUL: no name contains one, and a query carrying one fails.
const hasNul = (value: string) => value.includes('\0');

/** Escapes LIKE's wildcards so `%`, `_` and `\` match themselves. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

export function createRoomsRepository(db: Knex) {
  const selectRooms = (executor: Executor) =>
    executor('chat_rooms as r')
      .join('users as u', 'u.id', 'r.owner_id')
      .select<RoomWithOwnerRow[]>(
        'r.id',
        'r.name',
        'r.created_at',
        'r.owner_id',
        'u.username as owner_username',
      );

  return {
    async findByName(name: string, executor: Executor = db): Promise<Room | undefined> {
      if (hasNul(name)) return undefined;
      const row = await selectRooms(executor).where('r.name', name).first();
      return row && toRoom(row);
    },

    async insert(name: string, ownerId: number): Promise<Room> {
      const [inserted] = await db('chat_rooms')
        .insert({ name, owner_id: ownerId })
        .returning<{ id: number }[]>('id');
      const row = await selectRooms(db).where('r.id', inserted!.id).first();
      return toRoom(row!);
    },

    async search({ query, afterName, limit }: RoomSearch): Promise<Room[]> {
      if (query !== undefined && hasNul(query)) return [];
      const builder = selectRooms(db).orderBy('r.name').limit(limit);
      if (query) builder.whereRaw(`r.name ILIKE ? ESCAPE '\\'`, [`%${escapeLike(query)}%`]);
      if (afterName !== undefined) builder.where('r.name', '>', afterName);
      return (await builder).map(toRoom);
    },

    /** Locks the room's row until the transaction ends; false when the room is gone. */
    async lock(tx: Executor, id: number): Promise<boolean> {
      return (await tx('chat_rooms').where({ id }).forUpdate().first('id')) !== undefined;
    },

    async deleteById(id: number, executor: Executor = db): Promise<boolean> {
      return (await executor('chat_rooms').where({ id }).delete()) > 0;
    },
  };
}

export type RoomsRepository = ReturnType<typeof createRoomsRepository>;
