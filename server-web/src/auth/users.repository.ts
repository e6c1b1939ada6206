import type { Db, UserRow } from '@parley/db';

// The expressions of the unique indexes, so lookups use them (see the users migration).
const EMAIL_KEY = 'lower(email COLLATE "und-x-icu") = lower(? COLLATE "und-x-icu")';
const USERNAME_KEY = 'lower(username COLLATE "und-x-icu") = lower(? COLLATE "und-x-icu")';

export interface UserRecord {
  id: number;
  email: string;
  username: string;
  hashedPassword: string;
}

const toRecord = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  username: row.username,
  hashedPassword: row.hashed_password,
});

export function createUsersRepository(db: Db) {
  return {
    async findByEmail(email: string): Promise<UserRecord | undefined> {
      const row = await db<UserRow>('users').whereRaw(EMAIL_KEY, [email]).first();
      return row && toRecord(row);
    },

    async findById(id: number): Promise<UserRecord | undefined> {
      const row = await db<UserRow>('users').where({ id }).first();
      return row && toRecord(row);
    },

    /** Which of the two is already used by someone (case-insensitively). */
    async findTaken(
      email: string,
      username: string,
    ): Promise<{ email: boolean; username: boolean }> {
      const rows: { email_taken: boolean; username_taken: boolean }[] = await db('users')
        .whereRaw(EMAIL_KEY, [email])
        .orWhereRaw(USERNAME_KEY, [username])
        .select(
          db.raw(`${EMAIL_KEY} as email_taken`, [email]),
          db.raw(`${USERNAME_KEY} as username_taken`, [username]),
        );
      return {
        email: rows.some((row) => row.email_taken),
        username: rows.some((row) => row.username_taken),
      };
    },

    async insert(user: {
      email: string;
      username: string;
      hashedPassword: string;
    }): Promise<UserRecord> {
      const [row] = await db<UserRow>('users')
        .insert({
          email: user.email,
          username: user.username,
          hashed_password: user.hashedPassword,
        })
        .returning('*');
      return toRecord(row!);
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
