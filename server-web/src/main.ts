import { createServer } from 'node:http';
import { ConfigError, createLogger, loadConfig, onShutdown } from '@parley/server-kit';
import { createApp, createDeps } from './app';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel, name: 'server-web' });
  if (config.isJwtSecretEphemeral) {
    logger.warn('JWT_SECRET is not set: using a random secret, sessions end with this process');
  }
  const deps = await createDeps(config, logger);
  const server = createServer(createApp(deps));
  server.listen(config.port, config.host, () =>
    logger.info({ port: config.port, host: config.host }, 'server-web listening'),
  );
  onShutdown(logger, async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await deps.close();
  });
}

main().catch((error: unknown) => {
  // Config problems are the operator's to fix: say what is wrong, without a stack trace.
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : (error as Error).stack}\n`,
  );
  process.exit(1);
});
