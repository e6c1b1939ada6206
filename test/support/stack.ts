import { createDb, migrateLatest } from '@parley/db';
import {
  startStack as startTopology,
  type Stack,
  type StackChatNode,
} from '../../scripts/stack/topology';
import { createTestDatabase, type TestDatabase } from './databases';
import { startRedisServer, type RedisProcess } from './redis-server';
import { TEST_SECRET } from './web-app';

export type { Stack, StackChatNode };

export interface TestStackOptions {
  /** A migrated database; by default a fresh one is created, migrated and dropped by stop(). */
  databaseUrl?: string;
  /** nginx's port (default: a free one). */
  port?: number;
  /** By default a redis-server of this stack alone, so rate limits of other tests never count. */
  redisUrl?: string;
}

export interface TestStack extends Stack {
  /** For asserting on stored rows. */
  databaseUrl: string;
  redisUrl: string;
}

/**
 * `npm run stack` for a test: nginx on 127.0.0.1 in front of server-web and two server-chat
 * processes (chat-1, chat-2; kill -9 really kills one), as processes of their own. Sessions are
 * signed with TEST_SECRET; bcrypt is cheap; logs are warnings only (in `<runDir>/logs`).
 */
export async function startStack(options: TestStackOptions = {}): Promise<TestStack> {
  let database: TestDatabase | undefined;
  let redis: RedisProcess | undefined;
  const cleanUp = async () => {
    await redis?.stop();
    await database?.drop();
  };
  try {
    if (!options.databaseUrl) {
      database = await createTestDatabase('parley_stack');
      const db = createDb({ databaseUrl: database.url });
      await migrateLatest(db).finally(() => db.destroy());
    }
    if (!options.redisUrl) redis = await startRedisServer();
    const databaseUrl = options.databaseUrl ?? database!.url;
    const redisUrl = options.redisUrl ?? redis!.url;
    const stack = await startTopology({
      databaseUrl,
      redisUrl,
      jwtSecret: TEST_SECRET,
      port: options.port,
      host: '127.0.0.1',
      env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', BCRYPT_COST: '4' },
    });
    return {
      ...stack,
      databaseUrl,
      redisUrl,
      async stop() {
        await stack.stop();
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
