import knex, { type Knex } from 'knex';
import pg from 'pg';
import { createKnexConfig, type DbOptions } from './knex-config';

// bigint (int8) columns: ids, seq and counts stay far below 2^53, so numbers are safe and simpler.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Db = Knex;

export function createDb(options: DbOptions): Db {
  return knex(createKnexConfig({}, options));
}

/** True when a trivial query answers within the pool's acquire timeout. */
export async function isDbReachable(db: Db): Promise<boolean> {
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  }
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}
