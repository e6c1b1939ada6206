// `npm start`: the whole product in one process on one machine, with embedded defaults.
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { createDb, migrateLatest } from '@parley/db';
import { ConfigError, createLogger, loadConfig, onShutdown } from '@parley/server-kit';
import { createChatDeps, createChatServer } from '@parley/server-chat';
import { createApp, createDeps } from '@parley/server-web';
import { CLIENT_DIR, ensureClientBuilt } from './client-build';
import { developmentSecret } from './development-secret';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres';

// Relative to where `npm start` runs (the project folder), so a second start finds the first's data.
const DATA_DIR = path.resolve('.data');

async function main(): Promise<void> {
  await mkdir(DATA_DIR, { recursive: true });
  const env = { ...process.env };
  const logger = createLogger({ level: env.LOG_LEVEL || 'info', name: 'parley' });
  if (!env.JWT_SECRET && env.NODE_ENV !== 'production')
    env.JWT_SECRET = await developmentSecret(DATA_DIR);

  let embedded: EmbeddedDatabase | undefined;
  if (!env.DATABASE_URL) {
    logger.info({ dataDir: DATA_DIR }, 'starting the embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({
      dataDir: DATA_DIR,
      logger: (line) => logger.debug({ postgres: line }),
    });
    env.DATABASE_URL = embedded.databaseUrl;
  }
  const config = loadConfig(env);

  const migrator = createDb({ databaseUrl: config.databaseUrl });
  const applied = await migrateLatest(migrator).finally(() => migrator.destroy());
  if (applied.length > 0) logger.info({ applied }, 'database migrated');

  ensureClientBuilt((message) => logger.info(message));
  const deps = { ...(await createDeps(config, logger)), staticDir: CLIENT_DIR };
  // One process, one origin: the chat service shares the website's HTTP server, its message
  // allowance (REST and socket sends count together) and its /metrics.
  const chatDeps = await createChatDeps(config, logger, {
    messageLimiter: deps.messageLimiter,
    metricsRegistry: deps.metrics,
  });
  const server = createServer(createApp(deps));
  const chat = await createChatServer(server, chatDeps);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const url = `http://localhost:${config.port}`;
  logger.info({ url }, 'Parley is running');
  process.stdout.write(`\n  Parley is running at ${url}  (Ctrl-C stops it)\n\n`);

  onShutdown(logger, async () => {
    server.closeIdleConnections();
    await chat.close(); // also closes the HTTP server
    await Promise.all([deps.close(), chatDeps.close()]);
    await embedded?.stop();
  });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : (error as Error).stack;
  process.stderr.write(`Parley could not start: ${message}\n`);
  process.exit(1);
});
