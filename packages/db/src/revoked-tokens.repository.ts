import type { Knex } from 'knex';
import type { Revocation } from './revocations';
import type { Executor } from './transaction';

export function createRevokedTokensRepository(db: Knex) {
  return {
    async isRevoked(jti: string): Promise<boolean> {
      return (await db('revoked_tokens').where({ jti }).first('jti')) !== undefined;
    },

    /** Every revocation of a token that has not expired yet. */
    async listUnexpired(): Promise<Revocation[]> {
      const rows = await db('revoked_tokens')
        .where('expires_at', '>', new Date())
        .select<{ jti: string; expires_at: Date }[]>('jti', 'expires_at');
      return rows.map((row) => ({ jti: row.jti, exp: row.expires_at.getTime() / 1000 }));
    },

    async revoke(
      executor: Executor,
      token: { jti: string; userId: number; expiresAt: Date },
    ): Promise<void> {
      await executor('revoked_tokens')
        .insert({ jti: token.jti, user_id: token.userId, expires_at: token.expiresAt })
        .onConflict('jti')
        .ignore();
      // Revocations of expired tokens are no longer needed: expiry refuses them by itself.
      await executor('revoked_tokens').where('expires_at', '<', new Date()).delete();
    },
  };
}

export type RevokedTokensRepository = ReturnType<typeof createRevokedTokensRepository>;
