import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { createLogger, loadConfig, type Config } from '@parley/server-kit';
import { createChatDeps, createChatServer, type ChatDeps, type ChatOptions } from '@parley/server-chat';
import { TEST_SECRET } from './web-app';

export interface ChatNode {
  /** http://127.0.0.1:<port>: connect with io(`${url}/ws/${encodeURIComponent(name)}`). */
  url: string;
  port: number;
  deps: ChatDeps;
  config: Config;
  server: Server;
  /** Graceful stop, as on SIGTERM: stops accepting, flushes pending batches, closes. */
  close(): Promise<void>;
}

/**
 * Boots a real chat node on port 0 against the run's test database (the same JWT secret as
 * startWebApp, so tokens from the website service work). `env` overrides configuration
 * (e.g. REDIS_URL for several nodes); `options` raises limits or tunes group commit.
 */
export async function startChatNode(
  env: Record<string, string> = {},
  options: ChatOptions = { limits: { messagesPerSecond: 1_000, messageBurst: 2_000 } },
): Promise<ChatNode> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const logger = createLogger({ level: config.logLevel, name: 'server-chat-test' });
  const deps = await createChatDeps(config, logger, options);
  const server = createServer();
  const chat = await createChatServer(server, deps);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    deps,
    config,
    server,
    async close() {
      await chat.close();
      await deps.close();
    },
  };
}
