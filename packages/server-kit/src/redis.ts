import { createClient } from 'redis';
import type { Logger } from './logger';
import type { RedisClient } from './rate-limits';

/** Connects with endless reconnects; a Redis outage is logged, never fatal. */
export async function connectRedis(url: string, logger: Logger): Promise<RedisClient> {
  const client: RedisClient = createClient({
    url,
    socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000) },
  });
  client.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
  await client.connect();
  return client;
}
