import type { Db, UserRow } from '@parley/db';

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
      const row = await db<UserRow>('users').whereRaw('lower(email) = lower(?)', [email]).first();
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
      const rows = await db<UserRow>('users')
        .whereRaw('lower(email) = lower(?)', [email])
        .orWhereRaw('lower(username) = lower(?)', [username])
        .select('email', 'username');
      return {
        email: rows.some((row) => row.email.toLowerCase() === email.toLowerCase()),
        username: rows.some((row) => row.username.toLowerCase() === username.toLowerCase()),
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
