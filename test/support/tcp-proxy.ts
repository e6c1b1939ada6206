import net from 'node:net';

/** A TCP proxy to simulate a network outage between a service and its database. */
export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;

  const listen = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  };

  const cut = async () => {
    const closing = server && new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    for (const socket of sockets) socket.destroy();
    await closing;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    cut,
    restore: listen,
    close: cut,
  };
}

/** A proxy in front of the run's test database, and that database's URL through it. */
export async function startDatabaseProxy(): Promise<{ proxy: TcpProxy; databaseUrl: string }> {
  const database = new URL(process.env.TEST_DATABASE_URL!);
  const proxy = await startTcpProxy(Number(database.port || 5432), database.hostname);
  database.port = String(proxy.port);
  return { proxy, databaseUrl: database.toString() };
}
