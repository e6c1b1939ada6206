// A cheap Socket.IO client for the load generator: Engine.IO v4 / Socket.IO v5 spoken by hand
// over `ws`, so a thousand receivers cost little. Frames are counted; only probes decode them.
import WebSocket from 'ws';

export interface Counter {
  /** Message frames received. */
  frames: number;
}

export interface RawMember extends Counter {
  /** Emits `message` with an ack id; `onAck` gets the raw ack frame's payload. */
  send(content: string, clientId: string, onAck?: (payload: string) => void): void;
  close(): void;
}

export interface ConnectOptions {
  /** http://host:port */
  url: string;
  /** '/ws/room-1' */
  namespace: string;
  /** Socket.IO auth payload (e.g. { token }). */
  auth?: Record<string, unknown>;
  /** Source address (a second loopback address gives another 28,000 ports). */
  localAddress?: string;
  /** Called with each received `message` frame's text when set (probes only). */
  onMessage?: (frame: string) => void;
  /** Resolves once the namespace is joined (Parley: once `history` arrived). */
  readyEvent?: string;
}

const MESSAGE_PREFIX = '["message"';

/** Connects one member; resolves when the namespace connect (and `readyEvent`) arrived. */
export function connectSocketIo(options: ConnectOptions): Promise<RawMember> {
  const base = options.url.replace(/^http/, 'ws');
  const socket = new WebSocket(`${base}/socket.io/?EIO=4&transport=websocket`, {
    perMessageDeflate: false,
    skipUTF8Validation: true,
    localAddress: options.localAddress,
  });
  const nsp = options.namespace;
  const eventPrefix = `42${nsp},`;
  const ackPrefix = `43${nsp},`;
  const acks = new Map<number, (payload: string) => void>();
  let nextAck = 0;
  const member: RawMember = {
    frames: 0,
    send(content, clientId, onAck) {
      const id = nextAck++;
      if (onAck) acks.set(id, onAck);
      socket.send(`${eventPrefix}${id}["message",${JSON.stringify({ content, clientId })}]`);
    },
    close() {
      socket.terminate();
    },
  };
  return new Promise((resolve, reject) => {
    let isReady = false;
    const fail = (error: Error) => {
      if (!isReady) reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`closed before joining ${nsp}`)));
    socket.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.startsWith(eventPrefix)) {
        const body = text.slice(eventPrefix.length);
        if (body.startsWith(MESSAGE_PREFIX)) {
          member.frames++;
          options.onMessage?.(text);
        } else if (!isReady && options.readyEvent && body.startsWith(`["${options.readyEvent}"`)) {
          isReady = true;
          resolve(member);
        }
      } else if (text.startsWith(ackPrefix)) {
        const rest = text.slice(ackPrefix.length);
        const bracket = rest.indexOf('[');
        const id = Number(rest.slice(0, bracket));
        const onAck = acks.get(id);
        if (onAck) {
          acks.delete(id);
          onAck(rest.slice(bracket));
        }
      } else if (text === '2') {
        socket.send('3');
      } else if (text.startsWith('0')) {
        socket.send(`40${nsp},${JSON.stringify(options.auth ?? {})}`);
      } else if (text.startsWith(`40${nsp},`)) {
        if (!options.readyEvent) {
          isReady = true;
          resolve(member);
        }
      } else if (text.startsWith(`44${nsp},`)) {
        fail(new Error(`refused: ${text}`));
      }
    });
  });
}

/** A plain WebSocket member (the `ws` relay): every text frame is a message. */
export function connectPlain(options: {
  url: string;
  path: string;
  localAddress?: string;
  onMessage?: (frame: string) => void;
}): Promise<RawMember> {
  const socket = new WebSocket(options.url.replace(/^http/, 'ws') + options.path, {
    perMessageDeflate: false,
    skipUTF8Validation: true,
    localAddress: options.localAddress,
  });
  const member: RawMember = {
    frames: 0,
    // The contract's plain protocol: each text frame is a message's content (no clientId, no ack).
    send(content) {
      socket.send(content);
    },
    close() {
      socket.terminate();
    },
  };
  socket.on('message', (data: Buffer) => {
    member.frames++;
    options.onMessage?.(data.toString());
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(member));
    socket.once('error', reject);
  });
}
