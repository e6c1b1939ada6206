import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createClient } from 'redis';

/** A port nobody listens on right now (the OS picks it; it is released before returning). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True when a Redis on the port answers PING (a raw RESP exchange, no client library). */
export function pingRedis(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const finish = (isUp: boolean) => {
      socket.destroy();
      resolve(isUp);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/** A redis-server child process of this test only: it may be killed and started again. */
export interface RedisProcess {
  port: number;
  url: string;
  /** SIGKILL, as a crash: resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves with performance.now() of the first PONG. */
  start(): Promise<number>;
  /** Stops it for good (cleanup); safe to call twice. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

export async function startRedisServer(): Promise<RedisProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<number> => {
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    child = server;
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (performance.now() < deadline) {
      if (server.exitCode !== null) throw new Error(`redis-server exited: ${server.exitCode}`);
      if (await pingRedis(port)) return performance.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`redis-server on port ${port} did not answer within ${START_TIMEOUT_MS} ms`);
  };

  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await exited;
  };

  // Should the test process end without stop() (a crash, a timeout), take the server along.
  const killOnExit = () => child?.kill('SIGKILL');
  process.on('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    await kill();
  };

  await start();
  return { port, url: `redis://127.0.0.1:${port}`, kill, start, stop };
}

/** Reads Redis' pub/sub bookkeeping, the numbers that show leaked subscriptions. */
export interface PubSubProbe {
  /** `PUBSUB NUMPAT`: pattern subscriptions of every client. */
  numPat(): Promise<number>;
  /** `PUBSUB SHARDCHANNELS pattern`: sharded channels with at least one subscriber. */
  shardChannels(pattern: string): Promise<string[]>;
  /** `PUBSUB SHARDNUMSUB`: the sum of subscribers of these sharded channels. */
  shardNumSub(channels: string[]): Promise<number>;
  close(): Promise<void>;
}

const CHANNELS_PER_COMMAND = 1_000;

export async function probePubSub(url: string): Promise<PubSubProbe> {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return {
    numPat: async () => Number(await client.sendCommand(['PUBSUB', 'NUMPAT'])),
    shardChannels: async (pattern) =>
      client.sendCommand<string[]>(['PUBSUB', 'SHARDCHANNELS', pattern]),
    async shardNumSub(channels) {
      let total = 0;
      for (let from = 0; from < channels.length; from += CHANNELS_PER_COMMAND) {
        const batch = channels.slice(from, from + CHANNELS_PER_COMMAND);
        // The reply alternates channel name and subscriber count.
        const reply = await client.sendCommand<unknown[]>(['PUBSUB', 'SHARDNUMSUB', ...batch]);
        for (let index = 1; index < reply.length; index += 2) total += Number(reply[index]);
      }
      return total;
    },
    async close() {
      await client.quit();
    },
  };
}
