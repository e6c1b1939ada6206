// `npm run stack`: the production topology on this machine, without Docker. nginx on PORT
// (8080) in front of server-web and two server-chat nodes sharing rooms through Redis, against
// DATABASE_URL and REDIS_URL (default: the local servers). Ctrl-C stops what it started.
import path from 'node:path';
import { createDb, migrateLatest } from '@parley/db';
import pg from 'pg';
import { ensureClientBuilt } from './client-build';
import { developmentSecret } from './development-secret';
import { startStack, type Stack } from './stack/topology';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/parley';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DUPLICATE_SIGNAL_MS = 1_000;
const say = (line: string) => process.stdout.write(`${line}\n`);

/** Creates the database when the server has none by that name (a first run). */
async function ensureDatabase(databaseUrl: string): Promise<void> {
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return;
  } catch (error) {
    // 3D000: invalid_catalog_name, the database does not exist; anything else is the user's.
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const server = new URL(databaseUrl);
  const name = decodeURIComponent(server.pathname.slice(1));
  server.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    say(`created database ${name}`);
  } finally {
    await admin.end();
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const databaseUrl = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  let jwtSecret = env.JWT_SECRET;
  if (!jwtSecret && env.NODE_ENV !== 'production') {
    jwtSecret = await developmentSecret(path.resolve('.data'));
  }
  if (!jwtSecret) throw new Error('JWT_SECRET must be set when NODE_ENV=production');

  ensureClientBuilt(say);
  await ensureDatabase(databaseUrl);
  const migrator = createDb({ databaseUrl });
  const applied = await migrateLatest(migrator).finally(() => migrator.destroy());
  if (applied.length > 0) say(`database migrated: ${applied.join(', ')}`);

  const stack = await startStack({
    databaseUrl,
    redisUrl: env.REDIS_URL || DEFAULT_REDIS_URL,
    jwtSecret,
    port: Number(env.PORT || 8080),
    onOutput: (service, line) => say(`[${service}] ${line}`),
  });
  stopOnSignals(stack);
  const nodes = stack.chatNodes.map((node) => `${node.id} :${node.port}`).join(', ');
  say(`\n  Parley is running at ${stack.url}  (Ctrl-C stops it)`);
  say(`  nginx :${new URL(stack.url).port} → web :${stack.web.port}, ${nodes}`);
  const pids = [`nginx ${stack.nginx.pid}`, `web ${stack.web.pid}`];
  for (const node of stack.chatNodes) pids.push(`${node.id} ${node.pid}`);
  say(`  processes: ${pids.join(', ')}`);
  say(`  logs and nginx.conf in ${stack.runDir}\n`);
}

function stopOnSignals(stack: Stack): void {
  let stoppingSince: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // npm and tsx relay the terminal's Ctrl-C as well, so copies arrive within moments; a
      // later one is someone insisting: leave now (children get SIGTERM on exit).
      if (performance.now() - stoppingSince > DUPLICATE_SIGNAL_MS) process.exit(1);
      return;
    }
    stoppingSince = performance.now();
    say(`\n${signal}: stopping nginx, the chat nodes and the website service`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stopping failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`the stack could not start: ${(error as Error).message}\n`);
  process.exit(1);
});
