import type { Knex } from 'knex';
import { createMessagesRepository, type MessagesRepository } from './messages.repository';
import {
  createRevokedTokensRepository,
  type RevokedTokensRepository,
} from './revoked-tokens.repository';
import { createRoomsRepository, type RoomsRepository } from './rooms.repository';
import { transactionRunner, type RunInTransaction } from './transaction';

/** The repositories both services share, and the runner that composes them in one transaction. */
export interface SharedDataAccess {
  transaction: RunInTransaction;
  rooms: RoomsRepository;
  messages: MessagesRepository;
  revokedTokens: RevokedTokensRepository;
}

export function createSharedDataAccess(db: Knex): SharedDataAccess {
  return {
    transaction: transactionRunner(db),
    rooms: createRoomsRepository(db),
    messages: createMessagesRepository(db),
    revokedTokens: createRevokedTokensRepository(db),
  };
}
