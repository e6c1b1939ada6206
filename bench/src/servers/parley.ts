// Server A: Parley's chat service as users run it (server-chat/src/main.ts), one process per
// node, pinned to the server core, with the message allowance raised for the bench users.
import { freePort } from '../../../test/support/redis-server';
import { BENCH_SECRET, ROOT } from '../lib/infra';
import { spawnServer, type ServerProcess } from '../lib/proc';

export interface ChatNode {
  url: string;
  process: ServerProcess;
}

export interface ParleyOptions {
  databaseUrl: string;
  redisUrl?: string;
  /** Extra environment (CHAT_FLUSH_WINDOW_MS, CHAT_MAX_BATCH, WS_NO_BUFFER_UTIL, ...). */
  env?: Record<string, string>;
  /** Node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** The port to listen on (default: a free one). */
  port?: number;
}

/** Starts one chat node and waits until it listens. */
export async function startChatNode(options: ParleyOptions): Promise<ChatNode> {
  const port = options.port ?? (await freePort());
  const process_ = await spawnServer(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', 'tsx', `${ROOT}/server-chat/src/main.ts`],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: options.databaseUrl,
        ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
        JWT_SECRET: BENCH_SECRET,
        LOG_LEVEL: 'info',
        // Raised for the bench users: the load, not the per-user allowance, is what is measured.
        MESSAGES_PER_SECOND: '100000',
        MESSAGE_BURST: '100000',
        ...options.env,
      },
      isReady: (output) => output.includes('server-chat listening'),
    },
  );
  return { url: `http://127.0.0.1:${port}`, process: process_ };
}
