import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { createLogger, loadConfig, type Config } from '@parley/server-kit';
import {
  createChatDeps,
  createChatServer,
  healthHandler,
  type ChatDeps,
  type ChatOptions,
  type ChatServer,
} from '@parley/server-chat';
import { TEST_SECRET } from './web-app';

export interface ChatNode {
  /** http://127.0.0.1:<port>: connect with io(`${url}/ws/${encodeURIComponent(name)}`). */
  url: string;
  port: number;
  deps: ChatDeps;
  config: Config;
  server: Server;
  /** The node's Socket.IO server, for what only it knows (e.g. how many namespaces it holds). */
  io: ChatServer['io'];
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
  // As main.ts serves it: /healthz, /readyz and /metrics beside Socket.IO and plain WebSocket.
  const handle = healthHandler(deps);
  const server = createServer((req, res) => void handle(req, res));
  const chat = await createChatServer(server, deps);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    deps,
    config,
    server,
    io: chat.io,
    async close() {
      await chat.close();
      await deps.close();
    },
  };
}
