import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { createLogger, loadConfig, type Config, type Logger } from '@parley/server-kit';
import { createApp, createDeps, type AppDeps, type LimitOverrides } from '@parley/server-web';

export interface WebApp {
  url: string;
  deps: AppDeps;
  config: Config;
  server: Server;
  close(): Promise<void>;
}

export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

/**
 * Boots the real website service on port 0 against the run's test database.
 * `env` overrides configuration variables; `limits` raises rate limits for unrelated tests;
 * `logger` replaces the one on stdout (to read what the service logs).
 */
export async function startWebApp(
  env: Record<string, string> = {},
  limits: LimitOverrides = {
    requestsPerMinute: 10_000,
    signInFailuresPerMinute: 10_000,
    messagesPerSecond: 1_000,
    messageBurst: 2_000,
  },
  logger?: Logger,
): Promise<WebApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    JWT_SECRET: TEST_SECRET,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const deps = await createDeps(
    config,
    logger ?? createLogger({ level: config.logLevel, name: 'server-web-test' }),
    limits,
  );
  const server = createServer(createApp(deps));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    config,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.close();
    },
  };
}

let counter = 0;
/** A name no other test in this run uses: `<prefix>-<pid>-<n>-<random>`. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}
