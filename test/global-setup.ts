import knex from 'knex';
import { createKnexConfig } from '@parley/db';
import { ensureClientBuilt } from './support/client-build';
import { createTestDatabase } from './support/databases';

/** One migrated database per test run, shared by the suites; every test makes its own data. */
export default async function globalSetup(): Promise<void> {
  ensureClientBuilt();
  const database = await createTestDatabase();
  const db = knex(createKnexConfig({ DATABASE_URL: database.url }));
  try {
    await db.migrate.latest();
  } finally {
    await db.destroy();
  }
  process.env.TEST_DATABASE_URL = database.url;
  process.env.TEST_DATABASE_NAME = database.name;
}
