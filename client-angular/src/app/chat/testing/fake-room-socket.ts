import { Injectable, type Provider } from '@angular/core';
import type {
  HandshakeAuth,
  MessageAck,
  SendMessagePayload,
  ServerToClientEvents,
} from '@parley/contracts';
import { ChatSocketFactory, type RoomSocket } from '../../core/chat-socket';

type Listener = (...args: unknown[]) => void;

class Listeners {
  private readonly byEvent = new Map<string, Set<Listener>>();

  on(event: string, listener: Listener): void {
    const set = this.byEvent.get(event) ?? new Set<Listener>();
    this.byEvent.set(event, set.add(listener));
  }

  off(event?: string, listener?: Listener): void {
    if (event === undefined) this.byEvent.clear();
    else if (listener === undefined) this.byEvent.delete(event);
    else this.byEvent.get(event)?.delete(listener);
  }

  fire(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.byEvent.get(event) ?? [])]) listener(...args);
  }

  count(event: string): number {
    return this.byEvent.get(event)?.size ?? 0;
  }

  events(): string[] {
    return [...this.byEvent.keys()].filter((event) => this.count(event) > 0);
  }
}

/** A `message` the client emitted, its acknowledgement in the test's hands. */
export interface SentMessage {
  readonly payload: SendMessagePayload;
  readonly isAnswered: boolean;
  answer(ack: MessageAck): void;
}

interface Outstanding extends SentMessage {
  lose(error: Error): void;
}

/**
 * The socket.io Manager (`socket.io`) as far as the client uses it: reconnection events, and
 * closing its Engine.IO connection (socket.io then reconnects by itself).
 */
export class FakeManager {
  private readonly listeners = new Listeners();
  readonly engine = { close: () => this.onEngineClose() };

  constructor(private readonly onEngineClose: () => void) {}

  on(event: string, listener: (...args: never[]) => void): this {
    this.listeners.on(event, listener as Listener);
    return this;
  }

  off(event?: string, listener?: (...args: never[]) => void): this {
    this.listeners.off(event, listener as Listener | undefined);
    return this;
  }

  fire(event: string, ...args: unknown[]): void {
    this.listeners.fire(event, ...args);
  }

  listenerCount(event: string): number {
    return this.listeners.count(event);
  }
}

/**
 * A room's socket.io-client Socket for tests: the subset the chat store uses (on/off, emit,
 * timeout().emit with an ack, connect/disconnect, connected/active, io events), behaving like the
 * real one (acks fail on disconnect; a refused handshake is not retried), plus helpers that play
 * the server: accept/refuse a handshake, push events, answer or withhold acks, drop the line.
 */
export class FakeRoomSocket {
  connected = false;
  active = false;
  connectCalls = 0;
  /** The events listened to when `connect()` was first called. */
  listenedAtConnect: string[] | undefined;
  readonly io = new FakeManager(() => {
    this.engineCloses++;
    this.drop('forced close');
  });
  /** How many times the client closed its transport (to reconnect). */
  engineCloses = 0;
  /** The `auth` offered at each handshake, in order. */
  readonly handshakes: HandshakeAuth[] = [];
  /** Every `message` emitted, in order, each with its ack still to give. */
  readonly sent: SentMessage[] = [];
  /** Every other event emitted, e.g. `typing`. */
  readonly emitted: { event: string; payload: unknown }[] = [];
  private readonly listeners = new Listeners();
  private readonly outstanding = new Set<Outstanding>();

  constructor(
    readonly roomName: string,
    private readonly auth: () => HandshakeAuth,
  ) {}

  on(event: string, listener: (...args: never[]) => void): this {
    this.listeners.on(event, listener as Listener);
    return this;
  }

  off(event?: string, listener?: (...args: never[]) => void): this {
    this.listeners.off(event, listener as Listener | undefined);
    return this;
  }

  connect(): this {
    this.listenedAtConnect ??= this.listeners.events();
    this.connectCalls++;
    this.active = true;
    return this;
  }

  disconnect(): this {
    this.active = false;
    if (this.connected) this.close('io client disconnect');
    return this;
  }

  emit(event: string, payload?: unknown): this {
    this.emitted.push({ event, payload });
    return this;
  }

  timeout(ms: number) {
    return {
      emit: (
        _event: 'message',
        payload: SendMessagePayload,
        callback: (error: Error | null, ack?: MessageAck) => void,
      ) => this.emitWithTimeout(ms, payload, callback),
    };
  }

  listenerCount(event: string): number {
    return this.listeners.count(event);
  }

  /** The server accepts a handshake (reading `auth` as socket.io does): `connect` fires. */
  accept(): void {
    this.handshakes.push(this.auth());
    this.connected = true;
    this.active = true;
    this.listeners.fire('connect');
  }

  /** The server refuses the handshake with a contract code; like socket.io, no retry follows. */
  refuse(code: string): void {
    this.handshakes.push(this.auth());
    this.active = false;
    this.listeners.fire('connect_error', new Error(code));
  }

  /** The line drops. socket.io retries a lost transport, not an `io server disconnect`. */
  drop(reason = 'transport close'): void {
    if (reason === 'io server disconnect') this.active = false;
    this.close(reason);
  }

  /** socket.io comes back after a drop: the Manager's `reconnect_attempt`, then a handshake. */
  reconnect(): void {
    this.io.fire('reconnect_attempt', 1);
    this.accept();
  }

  /** The server emits an event to this client. */
  push<E extends keyof ServerToClientEvents>(
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ) {
    this.listeners.fire(event, ...args);
  }

  get lastSent(): SentMessage {
    const last = this.sent.at(-1);
    if (!last) throw new Error('No message was sent');
    return last;
  }

  private close(reason: string): void {
    this.connected = false;
    this.listeners.fire('disconnect', reason);
    for (const message of this.outstanding) message.lose(new Error('socket has been disconnected'));
  }

  private emitWithTimeout(
    ms: number,
    payload: SendMessagePayload,
    callback: (error: Error | null, ack?: MessageAck) => void,
  ): void {
    let isAnswered = false;
    const settle = (error: Error | null, ack?: MessageAck) => {
      if (isAnswered) return;
      isAnswered = true;
      clearTimeout(timer);
      this.outstanding.delete(message);
      callback(error, ack);
    };
    const timer = setTimeout(() => settle(new Error('operation has timed out')), ms);
    const message: Outstanding = {
      payload,
      get isAnswered() {
        return isAnswered;
      },
      answer: (ack) => settle(null, ack),
      lose: (error) => settle(error),
    };
    this.outstanding.add(message);
    this.sent.push(message);
  }
}

/** ChatSocketFactory for tests: hands out FakeRoomSockets and keeps them for the test to drive. */
@Injectable()
export class FakeChatSocketFactory {
  readonly sockets: FakeRoomSocket[] = [];

  /** The socket created last. */
  get socket(): FakeRoomSocket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('No socket was created');
    return socket;
  }

  create(roomName: string, auth: () => HandshakeAuth): RoomSocket {
    const socket = new FakeRoomSocket(roomName, auth);
    this.sockets.push(socket);
    // The store uses only the part of Socket that FakeRoomSocket implements.
    return socket as unknown as RoomSocket;
  }
}

export function provideFakeChatSocket(): Provider[] {
  return [
    FakeChatSocketFactory,
    { provide: ChatSocketFactory, useExisting: FakeChatSocketFactory },
  ];
}
