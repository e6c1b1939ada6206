import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig, parseDuration } from '../src/config';

// 32 random bytes in hex, as `openssl rand -hex 32` makes them.
const STRONG_SECRET = '5f1c0a9e7b3d48c2a6e19f04d7b28c53e0a4f6b19d3c7e8205b4a6d9c1f3e7a2';
const PRODUCTION = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/parley' };

describe('configuration', () => {
  test('when an operator raises the message allowance, then a burst below the rate is refused', () => {
    expect(loadConfig({ MESSAGES_PER_SECOND: '1000', MESSAGE_BURST: '3000' }).messageRate).toEqual({
      perSecond: 1000,
      burst: 3000,
    });
    expect(() => loadConfig({ MESSAGES_PER_SECOND: '100', MESSAGE_BURST: '50' })).toThrow(
      /MESSAGE_BURST must be at least MESSAGES_PER_SECOND/,
    );
  });

  test('when nothing is set, then the contract defaults apply', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      jwtTtlSeconds: 12 * 3600,
      bcryptCost: 12,
      allowedOrigins: [],
      isProduction: false,
      isJwtSecretEphemeral: true,
      messageRate: { perSecond: 10, burst: 30 },
      groupCommit: { flushWindowMs: 5, maxBatchSize: 500 },
    });
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  test('when production has no JWT_SECRET or a short one, then start-up is refused', () => {
    expect(() => loadConfig(PRODUCTION)).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ ...PRODUCTION, JWT_SECRET: 'x'.repeat(31) })).toThrow(ConfigError);
    expect(loadConfig({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET }).jwtSecret).toBe(STRONG_SECRET);
  });

  test.each([
    ['one character repeated', 'x'.repeat(32)],
    ['spaces', ' '.repeat(40)],
    ['a word repeated', 'changeme-'.repeat(4)],
    ['a short run repeated', '0123456789abcdef'.repeat(2)],
    ['two different characters', '0110100110010110100101100110100110010110'],
  ])('when production has a guessable JWT_SECRET (%s), then start-up is refused', (_, secret) => {
    expect(() => loadConfig({ ...PRODUCTION, JWT_SECRET: secret })).toThrow(
      /JWT_SECRET is guessable/,
    );
  });

  test('when production has a generated JWT_SECRET, then it is taken (hex of 16 and 32 bytes, base64)', () => {
    for (const secret of [
      '58df5b5ed84d1b5451805a5e71c38c9c',
      STRONG_SECRET,
      'tOHNDcFfApg9uCzNZjXL8wSMk0jI8iuXc1P5qDhTeP8=',
    ]) {
      expect(loadConfig({ ...PRODUCTION, JWT_SECRET: secret }).jwtSecret).toBe(secret);
    }
  });

  test('when HOST is not an address to listen on, then start-up is refused and names it', () => {
    expect(() => loadConfig({ HOST: 'not a host' })).toThrow(/HOST: an IP address or localhost/);
    expect(loadConfig({ HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
  });

  test('when production asks for a bcrypt cost below 10, then start-up is refused', () => {
    expect(() =>
      loadConfig({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET, BCRYPT_COST: '9' }),
    ).toThrow(/BCRYPT_COST/);
    expect(loadConfig({ BCRYPT_COST: '4' }).bcryptCost).toBe(4);
  });

  test('when values are malformed, then every problem is named', () => {
    expect(() => loadConfig({ PORT: 'eighty', JWT_TTL: 'forever' })).toThrow(/PORT/);
    expect(() => loadConfig({ JWT_TTL: 'forever' })).toThrow(/JWT_TTL/);
  });

  test('when ALLOWED_ORIGINS lists origins, then they are trimmed without trailing slashes', () => {
    const config = loadConfig({ ALLOWED_ORIGINS: ' https://a.example/ ,https://b.example' });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  test.each([
    ['12h', 43200],
    ['30m', 1800],
    ['45', 45],
    ['2d', 172800],
    ['0', undefined],
    ['1y', undefined],
  ])('JWT_TTL %s is %s seconds', (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  test('when the web service starts in production without a secret, then it exits with the reason', () => {
    const result = spawnSync('npx', ['tsx', 'server-web/src/main.ts'], {
      cwd: path.resolve(__dirname, '../../..'),
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://127.0.0.1:1/x',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('JWT_SECRET must be set to at least 32 bytes');
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
