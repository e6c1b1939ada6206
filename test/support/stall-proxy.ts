import net from 'node:net';

/**
 * A TCP proxy that can stop forwarding without closing anything: what a service sees when its
 * database host stops answering (no reset, no refusal; requests just get no reply).
 */
export interface StallProxy {
  port: number;
  /** Holds every byte in both directions, on open and new connections alike. */
  stall(): void;
  /**
   * Closes every open connection and then accepts new ones without ever answering them, even
   * after resume(): a pooler whose server went away, or a server that stalled while accepting.
   */
  hang(): void;
  /** Connections accepted since hang(), left hanging. */
  readonly hungConnections: number;
  /** Delivers what was held, in order, and forwards again. */
  resume(): void;
  close(): Promise<void>;
}

export async function startStallProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<StallProxy> {
  const sockets = new Set<net.Socket>();
  const held: (() => void)[] = [];
  let isStalled = false;
  let isHanging = false;
  let hungConnections = 0;

  const whenFlowing = (deliver: () => void) => {
    if (isStalled) held.push(deliver);
    else deliver();
  };
  // Data and the end of a stream are held alike, so they stay in order.
  const forward = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk: Buffer) =>
      whenFlowing(() => {
        if (!to.destroyed) to.write(chunk);
      }),
    );
    from.on('end', () => whenFlowing(() => to.end()));
  };

  const server = net.createServer((client) => {
    if (isHanging) {
      hungConnections += 1;
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    stall() {
      isStalled = true;
    },
    hang() {
      isHanging = true;
      for (const socket of sockets) socket.destroy();
    },
    get hungConnections() {
      return hungConnections;
    },
    resume() {
      isStalled = false;
      isHanging = false;
      for (const deliver of held.splice(0)) deliver();
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      held.length = 0;
      await closed;
    },
  };
}
