import type { Knex } from 'knex';

/** A transaction handle services pass through to repositories without knowing Knex. */
export type Tx = Knex.Transaction;
export type Executor = Knex | Knex.Transaction;

export type RunInTransaction = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

export function transactionRunner(db: Knex): RunInTransaction {
  return (work) => db.transaction(work);
}
