// Data for the website scenarios, made in SQL where it is bulk: 100,000 rooms with realistic
// names, a room with a million messages, and sign-in users with real bcrypt hashes.
import { createHash } from 'node:crypto';
import type { Db } from '@parley/db';
import bcrypt from 'bcrypt';
import type { Login } from '../load/login-storm';

const TOPICS = `rust python golang java kotlin swift react angular vue svelte node deno linux docker
  kubernetes postgres redis kafka devops security design music movies books gaming chess football
  cycling running cooking coffee travel photo art crypto startups jobs random general offtopic`;
const QUALIFIERS = `berlin paris tokyo nyc london lagos delhi sydney help dev news beginners advanced
  fans club team meetup chat lounge support talk study hq lab ops guild crew corner hub zone`;

const words = (list: string) => `ARRAY['${list.trim().split(/\s+/).join("','")}']`;

/** Names like "rust-berlin-417", "chess_club-8", "kafka.lagos-90210": lower case, distinct. */
const INSERT_ROOMS = `
  INSERT INTO chat_rooms (name, owner_id)
  SELECT t.topic || (ARRAY['-', '_', '.'])[1 + abs(hashint4(i + 7)::bigint) % 3] || t.qualifier
         || '-' || i,
         :ownerId
  FROM generate_series(1, :count) AS i,
  LATERAL (SELECT (${words(TOPICS)})[1 + abs(hashint4(i)::bigint) % 40] AS topic,
                  (${words(QUALIFIERS)})[1 + abs(hashint4(i + 1)::bigint) % 30] AS qualifier) AS t`;

/** Seq i says "message i", so a page's contents can be checked against its seqs. */
const INSERT_MESSAGES = `
  INSERT INTO messages (room_id, seq, user_id, username, content, timestamp)
  SELECT :roomId, i, :userId, :username, 'message ' || i || ' ' || md5(i::text),
         now() - make_interval(secs => :count - i)
  FROM generate_series(1, :count) AS i`;

/** What INSERT_MESSAGES stored as message `seq`. */
export const messageContent = (seq: number) =>
  `message ${seq} ${createHash('md5').update(String(seq)).digest('hex')}`;

// The bulk statements below take longer than the service's default query timeout (10 s): give
// them a Db made with a longer one (createDb's queryTimeoutMs).

/** `count` rooms owned by `ownerId`, then statistics as autovacuum would leave them. */
export async function seedRooms(db: Db, ownerId: number, count: number): Promise<void> {
  await db.raw(INSERT_ROOMS, { ownerId, count });
  // Flushes the trigram index's pending list and sets the visibility map.
  await db.raw('VACUUM ANALYZE chat_rooms');
}

/** Messages 1..count in the room, its last_seq set to match, as if they had been sent. */
export async function seedMessages(
  db: Db,
  roomId: number,
  author: { id: number; username: string },
  count: number,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.raw(INSERT_MESSAGES, { roomId, userId: author.id, username: author.username, count });
    await tx('chat_rooms').where({ id: roomId }).update({ last_seq: count });
  });
  await db.raw('VACUUM ANALYZE messages');
}

/**
 * `count` users who can sign in, each with its own password hashed at `cost` (on the thread
 * pool, before any measurement).
 */
export async function seedLoginUsers(db: Db, count: number, cost: number): Promise<Login[]> {
  const logins = Array.from({ length: count }, (_, i) => ({
    email: `login${i}@bench.example`,
    password: `bench-password-${i}`,
  }));
  const hashes = await Promise.all(logins.map((login) => bcrypt.hash(login.password, cost)));
  await db('users').insert(
    logins.map((login, i) => ({
      email: login.email,
      username: `login${i}`,
      hashed_password: hashes[i],
    })),
  );
  return logins;
}
