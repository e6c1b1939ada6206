import { LIMITS } from '@parley/contracts';
import {
  createDb,
  createRevocationList,
  createSharedDataAccess,
  listenEvents,
  type Db,
  type RevocationList,
  type SharedDataAccess,
} from '@parley/db';
import {
  connectRedis,
  databaseLog,
  createAttemptLimiter,
  createMessageRateLimiter,
  createRequestLimiter,
  type AttemptLimiter,
  type Config,
  type Logger,
  type MessageRateLimiter,
} from '@parley/server-kit';
import type { Registry } from 'prom-client';
import { createPasswordHasher, type PasswordHasher } from './auth/password-hasher';
import { createUsersRepository, type UsersRepository } from './auth/users.repository';
import { createMetricsRegistry } from './http/observability';
import { createResponseCache, type ResponseCache } from './http/response-cache';
import { invalidateFor } from './rooms/room-reads';

/** Bytes of JSON held by the read cache (history pages, room searches). */
const READ_CACHE_MAX_BYTES = 32 * 1024 * 1024;

/** Everything the website service needs, built once by main.ts (or a test) and passed in. */
export interface AppDeps extends SharedDataAccess {
  config: Config;
  logger: Logger;
  db: Db;
  users: UsersRepository;
  /** Revoked tokens in memory, followed through their events (the database while that is down). */
  revocations: RevocationList;
  /**
   * History pages and room searches as sent, invalidated by this node's commits and every node's
   * committed events; every read goes to the database while the events are not followed.
   */
  readCache: ResponseCache;
  /** bcrypt on low-priority worker threads. */
  passwords: PasswordHasher;
  loginLimiter: AttemptLimiter;
  /** Failed sign-ins per IP, whatever the account: password spraying from one address. */
  signInLimiter: AttemptLimiter;
  messageLimiter: MessageRateLimiter;
  /** Per-IP limiter for cheap-to-call but costly endpoints (sign-up, room creation). */
  requestLimiter: (key: string) => Promise<void>;
  metrics: Registry;
  /** Built Angular client to serve with SPA fallback, when present. */
  staticDir?: string;
}

export interface LimitOverrides {
  /** Sign-ups and room creations per IP and minute (the contract asks for at least 60). */
  requestsPerMinute?: number;
  /** Failed sign-ins per IP and minute, across accounts (at least 60, as for the above). */
  signInFailuresPerMinute?: number;
  messagesPerSecond?: number;
  messageBurst?: number;
}

/** Wires the real dependencies from the parsed config; `close()` releases them. */
export async function createDeps(
  config: Config,
  logger: Logger,
  limits: LimitOverrides = {},
): Promise<AppDeps & { close(): Promise<void> }> {
  const db = createDb({
    databaseUrl: config.databaseUrl,
    log: databaseLog(logger),
  });
  const passwords = createPasswordHasher();
  const redis = config.redisUrl
    ? await connectRedis(config.redisUrl, logger, { isFailFast: true })
    : undefined;
  const data = createSharedDataAccess(db);
  const revocations = createRevocationList(data.revokedTokens, {
    onError: (error) => logger.warn({ err: error }, 'reading revoked tokens failed'),
  });
  const readCache = createResponseCache({ maxBytes: READ_CACHE_MAX_BYTES });
  // Patient: the service starts, and answers from the database, while PostgreSQL is away.
  const events = await listenEvents({
    databaseUrl: config.databaseUrl,
    applicationName: 'parley-web',
    isPatient: true,
    onEvent: (event) => {
      if (event.type === 'token_revoked') revocations.add(event);
      else invalidateFor(readCache, event);
    },
    onReconnect: () => {
      readCache.resume();
      void revocations.resync();
    },
    onDisconnect: () => {
      readCache.suspend();
      revocations.suspend();
    },
    onError: (error) => logger.warn({ err: error }, 'committed-events listener error'),
  });
  return {
    config,
    logger,
    db,
    ...data,
    revocations,
    readCache,
    users: createUsersRepository(db),
    loginLimiter: createAttemptLimiter(
      {
        keyPrefix: 'rl:login',
        points: LIMITS.loginFailuresPerWindow,
        durationSeconds: LIMITS.loginWindowSeconds,
        message: 'Too many failed sign-ins, try again later',
      },
      redis,
    ),
    signInLimiter: createAttemptLimiter(
      {
        keyPrefix: 'rl:login-ip',
        points: limits.signInFailuresPerMinute ?? 60,
        durationSeconds: 60,
        message: 'Too many failed sign-ins from your network, try again shortly',
      },
      redis,
    ),
    messageLimiter: createMessageRateLimiter(redis, {
      perSecond: limits.messagesPerSecond ?? config.messageRate.perSecond,
      burst: limits.messageBurst ?? config.messageRate.burst,
    }),
    requestLimiter: createRequestLimiter(
      { keyPrefix: 'rl:req', points: limits.requestsPerMinute ?? 60, durationSeconds: 60 },
      redis,
    ),
    metrics: createMetricsRegistry(),
    passwords,
    async close() {
      await events.close();
      revocations.close();
      await passwords.close();
      await db.destroy();
      await redis?.quit();
    },
  };
}
