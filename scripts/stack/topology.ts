import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLIENT_DIR } from '../client-build';
import { nginxLaunch } from './nginx-launch';
import {
  launch,
  stopProcess,
  type Launch,
  type ServiceProcess,
  type Started,
} from './service-process';

export { nginxBinary } from './nginx-launch';

const ROOT = path.resolve(__dirname, '../..');
const WEB_MAIN = path.join(ROOT, 'server-web/src/main.ts');
const CHAT_MAIN = path.join(ROOT, 'server-chat/src/main.ts');

export interface StackOptions {
  databaseUrl: string;
  redisUrl: string;
  jwtSecret: string;
  /** nginx's port; 0 or none picks a free one. */
  port?: number;
  /** nginx listens on this address only (default: every interface). */
  host?: string;
  chatNodeCount?: number;
  clientRoot?: string;
  /** The site template's text, to try a change (default: nginx/parley.conf.template). */
  siteTemplate?: string;
  /** More environment for every service (LOG_LEVEL, BCRYPT_COST, NODE_ENV …). */
  env?: Record<string, string>;
  /** Every line any process writes (it also goes to `<runDir>/logs/<name>.log`). */
  onOutput?: (service: string, line: string) => void;
}

export interface StackChatNode {
  /** NODE_ID, also sent as the X-Parley-Node response header: chat-1, chat-2 … */
  id: string;
  port: number;
  /** The node itself, past nginx (e.g. for its /metrics). */
  url: string;
  /** The current process (a restart changes it). */
  readonly pid: number;
  /** SIGKILL unless told otherwise (a crash: no cleanup); resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the node again on the same port and id; resolves once it answers /healthz. */
  restart(): Promise<void>;
}

export interface Stack {
  /** nginx: the one origin of the product. */
  url: string;
  web: { port: number; url: string; readonly pid: number };
  chatNodes: StackChatNode[];
  nginx: { readonly pid: number; accessLog: string; errorLog: string };
  /** Temporary folder with nginx.conf, parley.conf and logs/ (removed by stop()). */
  runDir: string;
  /** Stops nginx, then every service (SIGTERM, SIGKILL after 12 s); nothing else. */
  stop(): Promise<void>;
}

/** A service of ours: node with tsx's loader running its main.ts, configured by environment. */
function serviceLaunch(
  options: StackOptions,
  name: string,
  main: string,
  extra: Record<string, string>,
): Launch {
  return {
    name,
    command: process.execPath,
    // Not the tsx CLI, which would run the service in a child process of its own: a kill -9
    // must kill the service itself.
    args: () => ['--import', 'tsx', main],
    env: (port) => ({
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      JWT_SECRET: options.jwtSecret,
      TRUST_PROXY: '1',
      // Behind nginx only: reached directly, a service would trust a client's X-Forwarded-For.
      HOST: '127.0.0.1',
      ...options.env,
      ...extra,
      PORT: String(port),
    }),
    healthUrl: (port) => `http://127.0.0.1:${port}/healthz`,
  };
}

async function allSettledOrThrow(starts: Promise<unknown>[]): Promise<void> {
  const failure = (await Promise.allSettled(starts)).find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}

/**
 * The production topology on this machine: server-web, `chatNodeCount` (2) server-chat processes
 * sharing rooms through Redis, and Debian's nginx in front running nginx/parley.conf.template.
 * The database must be migrated and the client built (scripts/stack.ts does both).
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'parley-stack-'));
  // Should the owner exit without stop(), its processes are signalled (service-process.ts) and
  // the folder goes too.
  const removeRunDir = () => rmSync(runDir, { recursive: true, force: true });
  process.on('exit', removeRunDir);
  await mkdir(path.join(runDir, 'logs'));
  const started: ServiceProcess[] = [];
  const nodeLaunch = (name: string, main: string, extra: Record<string, string> = {}) =>
    serviceLaunch(options, name, main, extra);
  const boot: Boot = async (spec, port) => {
    const logDir = path.join(runDir, 'logs');
    const result = await launch(spec, { cwd: ROOT, logDir, port, onOutput: options.onOutput });
    started.push(result.process);
    return result;
  };
  const forget = (service: ServiceProcess) => {
    const index = started.indexOf(service);
    if (index >= 0) started.splice(index, 1);
  };
  const stopAll = async () => {
    await Promise.all(started.splice(0).map(stopProcess));
  };

  try {
    const ids = Array.from(
      { length: options.chatNodeCount ?? 2 },
      (_, index) => `chat-${index + 1}`,
    );
    const webStart = boot(nodeLaunch('web', WEB_MAIN));
    const chatStarts = ids.map((id) => boot(nodeLaunch(id, CHAT_MAIN, { NODE_ID: id })));
    // Every start settles before a failure is thrown, so none is left running behind it.
    await allSettledOrThrow([webStart, ...chatStarts]);
    const web = await webStart;
    const chats = await Promise.all(chatStarts);
    const chatNodes = chats.map((chat, index) => {
      const id = ids[index]!;
      return chatNodeHandle(id, chat, nodeLaunch(id, CHAT_MAIN, { NODE_ID: id }), boot, forget);
    });
    const site = {
      host: options.host,
      webPort: web.port,
      chatPorts: chats.map((chat) => chat.port),
      clientRoot: options.clientRoot ?? CLIENT_DIR,
      template: options.siteTemplate,
    };
    const nginx = await boot(await nginxLaunch(runDir, site), options.port || undefined);
    const host = !options.host || options.host === '0.0.0.0' ? 'localhost' : options.host;
    return {
      url: `http://${host}:${nginx.port}`,
      web: {
        port: web.port,
        url: `http://127.0.0.1:${web.port}`,
        pid: web.process.pid,
      },
      chatNodes,
      nginx: {
        pid: nginx.process.pid,
        accessLog: path.join(runDir, 'logs', 'access.log'),
        errorLog: path.join(runDir, 'logs', 'error.log'),
      },
      runDir,
      async stop() {
        // nginx first (no new connections), then the services, as a deployment drains.
        forget(nginx.process);
        await stopProcess(nginx.process);
        await stopAll();
        process.off('exit', removeRunDir);
        await rm(runDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll();
    process.off('exit', removeRunDir);
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }
}

type Boot = (spec: Launch, port?: number) => Promise<Started>;

function chatNodeHandle(
  id: string,
  first: Started,
  spec: Launch,
  boot: Boot,
  forget: (service: ServiceProcess) => void,
): StackChatNode {
  let current = first.process;
  return {
    id,
    port: first.port,
    url: `http://127.0.0.1:${first.port}`,
    get pid() {
      return current.pid;
    },
    async kill(signal = 'SIGKILL') {
      await current.kill(signal);
      forget(current);
    },
    async restart() {
      await current.kill('SIGTERM');
      forget(current);
      current = (await boot(spec, first.port)).process;
    },
  };
}
