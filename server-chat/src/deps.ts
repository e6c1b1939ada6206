import {
  createDb,
  createMessageBatchWriter,
  createRevocationList,
  createSharedDataAccess,
  type Db,
  type MessageBatchWriter,
  type RevocationList,
  type SharedDataAccess,
} from '@parley/db';
import {
  connectRedis,
  databaseLog,
  createMessageRateLimiter,
  type Config,
  type Logger,
  type MessageRateLimiter,
  type RedisClient,
} from '@parley/server-kit';
import type { Registry } from 'prom-client';
import { createChatMetrics, type ChatMetrics } from './http/metrics';

/** Engine.IO's own pingInterval: plain WebSocket clients are pinged as often as Socket.IO's. */
const PLAIN_PING_INTERVAL_MS = 25_000;

export interface ChatOptions {
  limits?: { messagesPerSecond?: number; messageBurst?: number };
  /** Group commit: at most one batch per window (ms); an idle writer commits at once. */
  flushWindowMs?: number;
  /** Group commit: the most messages one transaction writes. */
  maxBatchSize?: number;
  /** In one process with the website service (npm start), both count one allowance. */
  messageLimiter?: MessageRateLimiter;
  /** Registers the chat metrics here (npm start serves them with the website's /metrics). */
  metricsRegistry?: Registry;
  /** How often plain WebSocket clients are pinged (ms); one unanswered ping ends the connection. */
  plainPingIntervalMs?: number;
}

/** Everything the chat service needs, built once by main.ts (or a test) and passed in. */
export interface ChatDeps extends SharedDataAccess {
  config: Config;
  logger: Logger;
  db: Db;
  messageLimiter: MessageRateLimiter;
  /** Revoked tokens in memory, fed by the committed-events listener (the database while it is down). */
  revocations: RevocationList;
  /** The group commit's own connection (one batch at a time, statement prepared). */
  batchWriter: MessageBatchWriter;
  metrics: ChatMetrics;
  /** Publisher and subscriber for the Socket.IO Redis adapter, when REDIS_URL is set. */
  redis?: { pub: RedisClient; sub: RedisClient };
  flushWindowMs: number;
  maxBatchSize: number;
  plainPingIntervalMs: number;
  close(): Promise<void>;
}

export async function createChatDeps(
  config: Config,
  logger: Logger,
  options: ChatOptions = {},
): Promise<ChatDeps> {
  const db = createDb({
    databaseUrl: config.databaseUrl,
    log: databaseLog(logger),
  });
  // The publisher (adapter broadcasts, rate limits) fails fast while Redis is away; the
  // subscriber keeps its queue so that namespaces created meanwhile still subscribe.
  const pub = config.redisUrl
    ? await connectRedis(config.redisUrl, logger, { isFailFast: true })
    : undefined;
  const sub = pub ? await connectRedis(config.redisUrl!, logger) : undefined;
  const batchWriter = createMessageBatchWriter(config.databaseUrl);
  const data = createSharedDataAccess(db);
  const revocations = createRevocationList(data.revokedTokens, {
    onError: (error) => logger.warn({ err: error }, 'reading revoked tokens failed'),
  });
  return {
    config,
    logger,
    db,
    ...data,
    revocations,
    messageLimiter:
      options.messageLimiter ??
      createMessageRateLimiter(pub, {
        perSecond: options.limits?.messagesPerSecond ?? config.messageRate.perSecond,
        burst: options.limits?.messageBurst ?? config.messageRate.burst,
      }),
    batchWriter,
    metrics: createChatMetrics(options.metricsRegistry),
    redis: pub && sub ? { pub, sub } : undefined,
    flushWindowMs: options.flushWindowMs ?? config.groupCommit.flushWindowMs,
    maxBatchSize: options.maxBatchSize ?? config.groupCommit.maxBatchSize,
    plainPingIntervalMs: options.plainPingIntervalMs ?? PLAIN_PING_INTERVAL_MS,
    async close() {
      revocations.close();
      await batchWriter.close();
      await db.destroy();
      await Promise.all([pub?.quit(), sub?.quit()]);
    },
  };
}
