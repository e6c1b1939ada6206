import { createServer } from 'node:http';
import { ConfigError, createLogger, loadConfig, onShutdown } from '@parley/server-kit';
import { healthHandler } from './http/health';
import { createChatDeps, createChatServer } from './io';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel, name: 'server-chat' });
  if (config.isJwtSecretEphemeral) {
    logger.warn(
      'JWT_SECRET is not set: using a random secret, no website session will be accepted',
    );
  }
  const deps = await createChatDeps(config, logger);
  const handle = healthHandler(deps);
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'health request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const chat = await createChatServer(server, deps);
  server.listen(config.port, config.host, () =>
    logger.info(
      { port: config.port, host: config.host, redis: Boolean(config.redisUrl) },
      'server-chat listening',
    ),
  );
  onShutdown(logger, async () => {
    await chat.close();
    await deps.close();
  });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : (error as Error).stack;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
