import { LIMITS } from '@parley/contracts';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type IRateLimiterOptions,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { RedisClientType } from 'redis';
import { AppError } from './app-error';

export type RedisClient = RedisClientType;

/**
 * A limiter in Redis when there is one (shared by every node), in memory otherwise. While Redis
 * is unreachable, the Redis limiter falls back to one in memory on this node.
 */
export function createLimiter(
  options: IRateLimiterOptions & { keyPrefix: string },
  redis?: RedisClient,
): RateLimiterAbstract {
  return redis
    ? new RateLimiterRedis({
        ...options,
        storeClient: redis,
        useRedisPackage: true,
        insuranceLimiter: new RateLimiterMemory(options),
      })
    : new RateLimiterMemory(options);
}

function rateLimited(retryAfterMs: number, message: string): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError('rate_limited', message, undefined, seconds);
}

export interface MessageRateLimiter {
  /** Takes one message from the user's allowance or throws AppError('rate_limited'). */
  consume(userId: number): Promise<void>;
}

export interface MessageRateOptions {
  perSecond?: number;
  burst?: number;
}

/**
 * Per-user message allowance shared by sockets and REST, the contract's "bursts of up to `burst`
 * and `perSecond` sustained": a token bucket of `burst` tokens refilled at `perSecond` (kept as
 * GCRA, one timestamp per user). In Redis when there is one, so every node and the website share
 * it; in memory on this node while Redis cannot be reached.
 */
export function createMessageRateLimiter(
  redis?: RedisClient,
  { perSecond = LIMITS.messagesPerSecond, burst = LIMITS.messageBurst }: MessageRateOptions = {},
): MessageRateLimiter {
  const bucket = { intervalMs: 1000 / perSecond, burst };
  const inMemory = createMemoryBucket(bucket);
  const take = redis ? createRedisBucket(redis, bucket, inMemory) : inMemory;
  return {
    async consume(userId) {
      const waitMs = await take(`rl:msg:${userId}`);
      if (waitMs > 0) throw rateLimited(waitMs, 'You are sending messages too fast, slow down');
    },
  };
}

interface Bucket {
  /** One token comes back every this many ms. */
  intervalMs: number;
  /** Tokens when full: the largest burst. */
  burst: number;
}

/** Takes a token for `key`: 0 when taken, else the ms until one is there (nothing taken). */
type TakeToken = (key: string) => Promise<number>;

/**
 * GCRA: `tat` is when the bucket would be full again. A token may be taken while that is at most
 * `burst` intervals away after taking it; each token taken moves it one interval further.
 */
function createMemoryBucket({ intervalMs, burst }: Bucket): TakeToken {
  const fullAt = new Map<string, number>();
  let sweptAt = 0;
  return (key) => {
    const now = performance.now();
    const tat = Math.max(fullAt.get(key) ?? now, now) + intervalMs;
    if (tat - now > burst * intervalMs) return Promise.resolve(tat - now - burst * intervalMs);
    fullAt.set(key, tat);
    // Full buckets carry no state: forget them now and then.
    if (now - sweptAt > 60_000) {
      sweptAt = now;
      for (const [other, at] of fullAt) if (at <= now) fullAt.delete(other);
    }
    return Promise.resolve(0);
  };
}

// The same, atomic in Redis, on Redis's clock (nodes' clocks may differ); the key expires when full.
const TAKE_TOKEN_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local interval = tonumber(ARGV[1])
local limit = tonumber(ARGV[2]) * interval
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now) + interval
if tat - now > limit then return tostring(tat - now - limit) end
redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil(tat - now))
return '0'`;

function createRedisBucket(redis: RedisClient, bucket: Bucket, fallback: TakeToken): TakeToken {
  const args = [String(bucket.intervalMs), String(bucket.burst)];
  return async (key) => {
    try {
      const waitMs = await redis.eval(TAKE_TOKEN_SCRIPT, { keys: [key], arguments: args });
      return Number(waitMs);
    } catch {
      return fallback(key); // Redis away: this node's own bucket until it is back
    }
  };
}

export interface AttemptLimiter {
  /**
   * Counts one attempt, atomically, before the caller does the slow check (bcrypt), so parallel
   * guesses cannot all pass; throws AppError('rate_limited') once `points` are used.
   */
  attempt(key: string): Promise<void>;
  /** Forgets the attempts (after a success). */
  reset(key: string): Promise<void>;
  /** Gives one attempt back (a success that must not clear the others' failures). */
  refund(key: string): Promise<void>;
}

/** Limits attempts per key (e.g. sign-ins per account and IP); a success resets the count. */
export function createAttemptLimiter(
  options: { keyPrefix: string; points: number; durationSeconds: number; message: string },
  redis?: RedisClient,
): AttemptLimiter {
  const limiter = createLimiter(
    { keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds },
    redis,
  );
  return {
    async attempt(key) {
      try {
        await limiter.consume(key);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw rateLimited(error.msBeforeNext, options.message);
        throw error;
      }
    },
    async reset(key) {
      await limiter.delete(key);
    },
    async refund(key) {
      await limiter.reward(key, 1);
    },
  };
}

/** A plain per-key request limiter (e.g. per IP) that throws AppError('rate_limited'). */
export function createRequestLimiter(
  options: { keyPrefix: string; points: number; durationSeconds: number },
  redis?: RedisClient,
): (key: string) => Promise<void> {
  const limiter = createLimiter(
    { keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds },
    redis,
  );
  return async (key) => {
    try {
      await limiter.consume(key);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        throw rateLimited(error.msBeforeNext, 'Too many requests, try again shortly');
      }
      throw error;
    }
  };
}
