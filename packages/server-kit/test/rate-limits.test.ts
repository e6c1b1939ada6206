import { LIMITS } from '@parley/contracts';
import { createClient } from 'redis';
import { startRedisServer, type RedisProcess } from '../../../test/support/redis-server';
import { AppError } from '../src/app-error';
import {
  createMessageRateLimiter,
  type MessageRateLimiter,
  type RedisClient,
} from '../src/rate-limits';

// The contract: "per user, bursts of up to 30 and 10 per second sustained; beyond that
// rate_limited". These tests wait for time to pass where the allowance is about time; no test
// waits for anything else.
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `count` messages of `user` at once; how many were accepted. */
async function burst(limiter: MessageRateLimiter, user: number, count: number): Promise<number> {
  const outcomes = await Promise.allSettled(
    Array.from({ length: count }, () => limiter.consume(user)),
  );
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') {
      expect(outcome.reason).toBeInstanceOf(AppError);
      expect((outcome.reason as AppError).code).toBe('rate_limited');
      expect((outcome.reason as AppError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
  }
  return outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
}

let redisServer: RedisProcess;
let redis: RedisClient;
beforeAll(async () => {
  redisServer = await startRedisServer();
  redis = createClient({ url: redisServer.url });
  await redis.connect();
});
afterAll(async () => {
  await redis.quit();
  await redisServer.stop();
});

let nextUser = 1;
describe.each([
  ['in memory', () => createMessageRateLimiter()],
  ['in Redis', () => createMessageRateLimiter(redis)],
])('the message allowance %s', (_where, create) => {
  test('when 40 come at once, then exactly the burst of 30 is accepted, and another user is not slowed', async () => {
    const limiter = create();
    const user = nextUser++;

    expect(await burst(limiter, user, 40)).toBe(LIMITS.messageBurst);
    expect(await burst(limiter, nextUser++, 5)).toBe(5);
  });

  test('when a second burst follows the first across a second boundary, then no more than 30 plus what 10 a second gave back is accepted', async () => {
    const limiter = create();
    const user = nextUser++;
    expect(await burst(limiter, user, 1)).toBe(1);
    await wait(900);
    const started = performance.now();

    const first = await burst(limiter, user, 29);
    await wait(150);
    const accepted = first + (await burst(limiter, user, 10));

    const elapsedSeconds = (performance.now() - started) / 1000;
    expect(accepted).toBeLessThanOrEqual(
      LIMITS.messageBurst + Math.ceil(LIMITS.messagesPerSecond * elapsedSeconds),
    );
  });

  test('when bursts of 20 come every 2.1 s (under 10 a second on average), then every message is accepted', async () => {
    const limiter = create();
    const user = nextUser++;

    const accepted = [await burst(limiter, user, 20)];
    for (let round = 0; round < 2; round++) {
      await wait(2_100);
      accepted.push(await burst(limiter, user, 20));
    }

    expect(accepted).toEqual([20, 20, 20]);
  });
});
