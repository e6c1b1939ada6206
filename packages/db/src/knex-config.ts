import fs from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';

/** The repository's top-level migrations/ folder. */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../../../migrations');

const MIGRATION_FILE = /^\d{14}_[a-z0-9_]+\.(ts|js)$/;

/**
 * Lists migrations by name without extension, so a database migrated from the .ts sources and
 * one migrated from compiled .js files record the same names.
 */
export class FolderMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly directory = MIGRATIONS_DIR) {}

  async getMigrations(): Promise<string[]> {
    const files = await fs.readdir(this.directory);
    return files.filter((file) => MIGRATION_FILE.test(file)).sort();
  }

  getMigrationName(file: string): string {
    return file.replace(/\.(ts|js)$/, '');
  }

  getMigration(file: string): Promise<Knex.Migration> {
    // require, not import(): it runs the same under tsx, Jest's module system and compiled JS.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return Promise.resolve(require(path.join(this.directory, file)) as Knex.Migration);
  }
}

/** Where Knex's own warnings go (its default is console.log). */
export interface DbLog {
  warn(message: string): void;
  error(message: string): void;
}

export interface DbOptions {
  databaseUrl: string;
  log?: DbLog;
  poolMax?: number;
  /** How long a query may run before it fails (client side). */
  queryTimeoutMs?: number;
  /** How long a query may wait for a connection before failing as `unavailable`. */
  acquireTimeoutMs?: number;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/parley';

export function createKnexConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<DbOptions> = {},
): Knex.Config {
  const options: DbOptions = {
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    ...overrides,
  };
  return {
    client: 'pg',
    connection: {
      connectionString: options.databaseUrl,
      connectionTimeoutMillis: options.acquireTimeoutMs ?? 2_000,
      keepAlive: true,
      // A connection that stops answering (half-open network) fails the query instead of hanging.
      query_timeout: options.queryTimeoutMs ?? 10_000,
      application_name: 'parley',
    },
    pool: { min: 0, max: options.poolMax ?? 10 },
    acquireConnectionTimeout: options.acquireTimeoutMs ?? 2_000,
    ...(options.log && {
      log: {
        warn: (message: string) => options.log!.warn(message),
        error: (message: string) => options.log!.error(message),
        deprecate: (message: string) => options.log!.warn(message),
        debug: () => undefined,
      },
    }),
    migrations: { migrationSource: new FolderMigrationSource(), tableName: 'knex_migrations' },
  };
}
