import type { Room } from '@parley/contracts';
import type { Knex } from 'knex';
import { queryPrepared, type PreparedStatement } from './prepared';
import type { Executor } from './transaction';

interface RoomWithOwnerRow {
  id: number;
  name: string;
  created_at: Date;
  owner_id: number;
  owner_username: string;
}

export interface RoomSearch {
  /** Lower-case substring of the name (names are stored lower-case), matched literally. */
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
export const hasNul = (value: string) => value.includes('\0');

// Room search in two exact steps (npm run bench, row T10, measures it). Walking the names in
// order and filtering is fast when matches come early in name order (the walk reads names only,
// from the name index: about 8,000 per ms), but reads most of the table when they sit late;
// collecting every match (trigram index) and sorting is fast when matches are few. First walk
// the next SEARCH_WINDOW names; only if they do not fill the page, collect all matches. Both
// return the first `limit` matches after `after` in name order.
const SEARCH_WINDOW = 20_000;
const ROOM_COLUMNS = 'r.id, r.name, r.created_at, r.owner_id, u.username AS owner_username';
/** Prepared: a walk of the name index, filtered, the same plan for any pattern. */
const SEARCH_NEXT_NAMES: PreparedStatement = {
  name: 'parley_search_next_names',
  text: `
    SELECT ${ROOM_COLUMNS}
    FROM (SELECT name FROM chat_rooms WHERE name > $1 ORDER BY name LIMIT $2) AS n
    JOIN chat_rooms r ON r.name = n.name
    JOIN users u ON u.id = r.owner_id
    WHERE n.name LIKE $3 ESCAPE '\\'
    ORDER BY n.name LIMIT $4`,
};
const SEARCH_ALL_MATCHES = `
  WITH matches AS MATERIALIZED (
    SELECT id, name, created_at, owner_id FROM chat_rooms
    WHERE name LIKE :pattern ESCAPE '\\' AND name > :after)
  SELECT ${ROOM_COLUMNS} FROM matches r JOIN users u ON u.id = r.owner_id
  ORDER BY r.name LIMIT :limit`;

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

    async insert(name: string, ownerId: number, executor: Executor = db): Promise<Room> {
      const [inserted] = await executor('chat_rooms')
        .insert({ name, owner_id: ownerId })
        .returning<{ id: number }[]>('id');
      const row = await selectRooms(executor).where('r.id', inserted!.id).first();
      return toRoom(row!);
    },

    async search({ query, afterName, limit }: RoomSearch): Promise<Room[]> {
      if (!query) {
        const builder = selectRooms(db).orderBy('r.name').limit(limit);
        if (afterName !== undefined) builder.where('r.name', '>', afterName);
        return (await builder).map(toRoom);
      }
      if (hasNul(query)) return [];
      // Names are stored lower-case, so LIKE (about 4x cheaper than ILIKE) on a lower-case q.
      const bindings = { after: afterName ?? '', pattern: `%${escapeLike(query)}%`, limit };
      const nearby = await queryPrepared<RoomWithOwnerRow>(db, SEARCH_NEXT_NAMES, [
        bindings.after,
        SEARCH_WINDOW,
        bindings.pattern,
        limit,
      ]);
      if (nearby.length >= limit) return nearby.map(toRoom);
      const everywhere = await db.raw<{ rows: RoomWithOwnerRow[] }>(SEARCH_ALL_MATCHES, bindings);
      return everywhere.rows.map(toRoom);
    },

    /** The room's current last seq, or undefined when it is gone. */
    async lastSeq(id: number): Promise<number | undefined> {
      const row = await db('chat_rooms')
        .where({ id })
        .first<{ last_seq: number } | undefined>('last_seq');
      return row?.last_seq;
    },

    async deleteById(id: number, executor: Executor = db): Promise<boolean> {
      return (await executor('chat_rooms').where({ id }).delete()) > 0;
    },
  };
}

export type RoomsRepository = ReturnType<typeof createRoomsRepository>;
