import type { Knex } from 'knex';
import type { Executor } from './transaction';

export function createRevokedTokensRepository(db: Knex) {
  return {
    async isRevoked(jti: string): Promise<boolean> {
      return (await db('revoked_tokens').where({ jti }).first('jti')) !== undefined;
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
