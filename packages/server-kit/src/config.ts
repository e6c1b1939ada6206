import { LIMITS } from '@parley/contracts';
import { isIP } from 'node:net';
import { z } from 'zod';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  /** The address to listen on (HOST); every interface when unset. */
  host: string | undefined;
  databaseUrl: string;
  redisUrl: string | undefined;
  jwtSecret: string;
  /** Session lifetime in seconds. */
  jwtTtlSeconds: number;
  /** Empty means "the origin the request was served on". */
  allowedOrigins: string[];
  bcryptCost: number;
  logLevel: string;
  /** Proxy hops whose X-Forwarded-* headers are trusted (1 behind nginx, 0 when exposed). */
  trustProxy: number;
  /** Set when the secret was generated for this process only (development). */
  isJwtSecretEphemeral: boolean;
  /** This node's name in a cluster (NODE_ID), sent as X-Parley-Node by the chat service. */
  nodeId: string | undefined;
  /** Per-user message allowance (MESSAGES_PER_SECOND, MESSAGE_BURST); the contract's by default. */
  messageRate: { perSecond: number; burst: number };
  /** Chat group commit (CHAT_FLUSH_WINDOW_MS, CHAT_MAX_BATCH): see server-chat's message writer. */
  groupCommit: { flushWindowMs: number; maxBatchSize: number };
  /**
   * CHAT_REDIS_ADAPTER: how chat nodes share rooms through Redis. 'sharded' (default): sharded
   * pub/sub, channels per namespace; 'sharded-dynamic': also per room; 'classic': pattern
   * subscriptions (PSUBSCRIBE). The benchmark measures them (npm run bench).
   */
  redisAdapter: 'sharded' | 'sharded-dynamic' | 'classic';
}

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/parley';
const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "12h", "30m", "45s", "2d" or a plain number of seconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * (TTL_UNITS[match[2] || 's'] ?? 1);
  return seconds > 0 ? seconds : undefined;
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z
    .string()
    .refine((host) => isIP(host) !== 0 || host === 'localhost', 'an IP address or localhost')
    .optional(),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  JWT_SECRET: z.string().optional(),
  JWT_TTL: z.string().default('12h'),
  ALLOWED_ORIGINS: z.string().default(''),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  NODE_ID: z
    .string()
    .regex(/^[\w.-]{1,64}$/, 'letters, digits, _, . and - only')
    .optional(),
  MESSAGES_PER_SECOND: z.coerce.number().int().min(1).default(LIMITS.messagesPerSecond),
  MESSAGE_BURST: z.coerce.number().int().min(1).default(LIMITS.messageBurst),
  CHAT_FLUSH_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(5),
  CHAT_MAX_BATCH: z.coerce.number().int().min(1).max(5000).default(500),
  CHAT_REDIS_ADAPTER: z.enum(['sharded', 'sharded-dynamic', 'classic']).default('sharded'),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Below this, by its characters' frequencies, a secret is taken for typed rather than generated. */
const MIN_SECRET_BITS = 100;

/**
 * True for a secret no generator made: one string repeated ("changeme-changeme-…", 32 spaces)
 * or too few bits by the Shannon entropy of its characters (16 random bytes in hex: ~112 bits;
 * "passwordpasswordpasswordpassword": 88). A heuristic: it cannot tell a long phrase is weak.
 */
export function isGuessable(secret: string): boolean {
  const characters = [...secret];
  const n = characters.length;
  for (let period = 1; period <= n / 2; period++) {
    if (characters.every((character, i) => i < period || character === characters[i - period])) {
      return true;
    }
  }
  const counts = new Map<string, number>();
  for (const character of characters) counts.set(character, (counts.get(character) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= count * Math.log2(count / n);
  return bits < MIN_SECRET_BITS;
}

/** Parses and checks the environment once, at start-up; throws ConfigError with every problem. */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  generateSecret: () => string = () => crypto.randomUUID() + crypto.randomUUID(),
): Config {
  const parsed = envSchema.safeParse(emptyToUndefined(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  const isProduction = vars.NODE_ENV === 'production';
  const problems: string[] = [];

  const jwtTtlSeconds = parseDuration(vars.JWT_TTL);
  if (vars.MESSAGE_BURST < vars.MESSAGES_PER_SECOND) {
    problems.push('MESSAGE_BURST must be at least MESSAGES_PER_SECOND');
  }
  if (jwtTtlSeconds === undefined) problems.push('JWT_TTL must look like 12h, 30m or 3600');
  if (isProduction) {
    if (!vars.JWT_SECRET || Buffer.byteLength(vars.JWT_SECRET) < 32) {
      problems.push('JWT_SECRET must be set to at least 32 bytes when NODE_ENV=production');
    } else if (isGuessable(vars.JWT_SECRET)) {
      problems.push(
        'JWT_SECRET is guessable (a short run repeated, or too few different characters): ' +
          'generate one, e.g. openssl rand -hex 32',
      );
    }
    if (vars.BCRYPT_COST < 10) problems.push('BCRYPT_COST must be at least 10 in production');
    if (!vars.DATABASE_URL) problems.push('DATABASE_URL must be set when NODE_ENV=production');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);

  return {
    nodeEnv: vars.NODE_ENV,
    isProduction,
    port: vars.PORT,
    host: vars.HOST,
    databaseUrl: vars.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    redisUrl: vars.REDIS_URL,
    jwtSecret: vars.JWT_SECRET ?? generateSecret(),
    jwtTtlSeconds: jwtTtlSeconds ?? 0,
    allowedOrigins: vars.ALLOWED_ORIGINS.split(',')
      .map((origin) => origin.trim().replace(/\/+$/, ''))
      .filter((origin) => origin.length > 0),
    bcryptCost: vars.BCRYPT_COST,
    logLevel: vars.LOG_LEVEL,
    trustProxy: vars.TRUST_PROXY,
    isJwtSecretEphemeral: !vars.JWT_SECRET,
    nodeId: vars.NODE_ID,
    messageRate: { perSecond: vars.MESSAGES_PER_SECOND, burst: vars.MESSAGE_BURST },
    groupCommit: { flushWindowMs: vars.CHAT_FLUSH_WINDOW_MS, maxBatchSize: vars.CHAT_MAX_BATCH },
    redisAdapter: vars.CHAT_REDIS_ADAPTER,
  };
}

function emptyToUndefined(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value || undefined]));
}
