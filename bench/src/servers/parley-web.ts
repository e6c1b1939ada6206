// Parley's website service (server-web/src/main.ts) as users run it, pinned to the server core.
import { freePort } from '../../../test/support/redis-server';
import { BENCH_SECRET, ROOT } from '../lib/infra';
import { spawnServer, type ServerProcess } from '../lib/proc';

export interface WebNode {
  url: string;
  process: ServerProcess;
}

export interface WebNodeOptions {
  databaseUrl: string;
  bcryptCost: number;
  /** Node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

// With LOG_LEVEL=warn the service prints nothing once up: this preload prints a line that tells
// spawnServer the process runs, and /healthz then tells when it listens.
const STARTED_MARK = 'bench-web-process-started';
const PRINT_STARTED = `data:text/javascript,process.stdout.write('${STARTED_MARK}\\n')`;

/** Starts the website service and waits until GET /healthz answers. */
export async function startWebNode(options: WebNodeOptions): Promise<WebNode> {
  const port = await freePort();
  const node = await spawnServer(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      ...['--import', PRINT_STARTED, '--import', 'tsx', `${ROOT}/server-web/src/main.ts`],
    ],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: options.databaseUrl,
        JWT_SECRET: BENCH_SECRET,
        // Request logs at info would be measured too; warn keeps errors visible.
        LOG_LEVEL: 'warn',
        BCRYPT_COST: String(options.bcryptCost),
      },
      isReady: (output) => output.includes(STARTED_MARK),
    },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, node);
  } catch (error) {
    await node.stop();
    throw error;
  }
  return { url, process: node };
}

async function waitForHealth(url: string, node: ServerProcess, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (node.child.exitCode !== null) throw new Error(`server-web exited:\n${node.output()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server-web did not answer:\n${node.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
