import { LIMITS } from '@parley/contracts';
import {
  BurstyRateLimiter,
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
 * Per-user message allowance shared by sockets and REST: `perSecond` sustained plus a pool that
 * lets a burst reach `burst` messages; the pool refills over ten seconds.
 */
export function createMessageRateLimiter(
  redis?: RedisClient,
  { perSecond = LIMITS.messagesPerSecond, burst = LIMITS.messageBurst }: MessageRateOptions = {},
): MessageRateLimiter {
  const limiter = new BurstyRateLimiter(
    createLimiter({ keyPrefix: 'rl:msg', points: perSecond, duration: 1 }, redis),
    createLimiter({ keyPrefix: 'rl:msg-burst', points: burst - perSecond, duration: 10 }, redis),
  );
  return {
    async consume(userId) {
      try {
        await limiter.consume(String(userId));
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          throw rateLimited(error.msBeforeNext, 'You are sending messages too fast, slow down');
        }
        throw error;
      }
    },
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
