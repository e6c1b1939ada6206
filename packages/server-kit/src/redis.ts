import { createClient } from 'redis';
import type { Logger } from './logger';
import type { RedisClient } from './rate-limits';

/**
 * Connects with endless reconnects; a Redis outage is logged, never fatal. With `isFailFast`,
 * commands fail at once while Redis is away instead of queueing until it returns (rate limits
 * then fall back to memory rather than hold a send or a sign-in).
 */
export async function connectRedis(
  url: string,
  logger: Logger,
  { isFailFast = false }: { isFailFast?: boolean } = {},
): Promise<RedisClient> {
  const client: RedisClient = createClient({
    url,
    disableOfflineQueue: isFailFast,
    // Short backoff: a restarted Redis is used again within half a second.
    socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 500) },
  });
  client.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
  await client.connect();
  return client;
}
