import { HttpClient } from '@angular/common/http';
import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { Router } from '@angular/router';
import type { Message } from '@parley/contracts';
import { ChatSocketFactory, type RoomSocket } from '../core/chat-socket';
import { describeError } from '../core/error-messages';
import { Session } from '../core/session';
import { signInAgain } from '../core/session-ended';
import { loadOutbox, saveOutbox } from '../core/unsent';
import { lineOfEntry, lineOfMessage, type ChatLine } from './chat-line';
import { Outbox } from './outbox';
import { RoomHistory, type MessageSource } from './room-history';
import { TypingTracker } from './typing-tracker';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export const ACK_TIMEOUT_MS = 5000;
export const TYPING_THROTTLE_MS = 2000;
/** Before connecting again after the server refused or dropped us (socket.io does not retry then). */
export const RECONNECT_DELAY_MS = 3000;

/**
 * One room, live, for RoomView (which provides it): messages by seq, our outbox, presence, typing
 * and the state of the connection.
 */
@Injectable()
export class ChatStore {
  private readonly router = inject(Router);
  private readonly session = inject(Session);
  private readonly sockets = inject(ChatSocketFactory);

  private readonly history = new RoomHistory(inject(HttpClient), (messages) =>
    this.settle(messages),
  );
  private readonly typing = new TypingTracker();
  private readonly outbox = new Outbox({
    isConnected: () => this.socket?.connected ?? false,
    emit: (payload, answer) =>
      this.socket?.timeout(ACK_TIMEOUT_MS).emit('message', payload, answer),
    confirmed: (message) => this.receive([message], 'ack'),
    roomGone: () => this.markDeleted(),
    later: (task, ms) => this.later(task, ms),
    restart: () => this.dropLine(),
    // A deleted room's messages can never be sent: nothing of them is kept.
    changed: (entries) => this.keepUnsent(this.isDeleted() ? [] : entries),
  });
  private socket: RoomSocket | undefined;
  private roomName: string | null = null;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private lastTypingSentAt = -Infinity;

  readonly messages = this.history.messages;
  readonly hasHistory = this.history.hasHistory.asReadonly();
  readonly self = computed(() => this.session.user()?.username ?? null);
  readonly hasOlder = this.history.hasOlder;
  readonly isLoadingOlder = this.history.isLoadingOlder.asReadonly();
  readonly olderError = this.history.olderError.asReadonly();
  readonly lines = computed<ChatLine[]>(() => [
    ...this.messages().map(lineOfMessage),
    ...this.outbox.entries().map(lineOfEntry),
  ]);
  /** Why our messages are held back (the server asked us to slow down), for the whole room page. */
  readonly sendingNotice = computed(
    () => this.outbox.entries().find((entry) => entry.status === 'pending' && entry.error)?.error,
  );
  readonly users = signal<readonly string[]>([]);
  readonly typingUsers = this.typing.users;
  readonly status = signal<ConnectionStatus>('connecting');
  readonly connectionError = signal<string | null>(null);
  readonly isDeleted = signal(false);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.close());
  }

  /** Joins a room (leaving any other): every listener is attached before the connection opens. */
  open(roomName: string): void {
    this.close();
    this.history.open(roomName);
    this.roomName = roomName;
    const userId = this.session.user()?.id;
    this.outbox.restore(userId === undefined ? [] : loadOutbox(userId, roomName));
    this.users.set([]);
    this.status.set('connecting');
    this.connectionError.set(null);
    this.isDeleted.set(false);
    const socket = this.sockets.create(roomName, () => ({ lastSeq: this.history.lastSeq() }));
    this.socket = socket;
    socket.on('connect', () => this.onConnect());
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
    socket.on('connect_error', (error) => this.onConnectError(error.message));
    socket.on('history', ({ messages }) => this.receive(messages, 'history'));
    socket.on('message', ({ message }) => this.receive([message], 'live'));
    socket.on('presence', ({ users }) => this.users.set(users));
    socket.on('typing', ({ username }) => this.typing.saw(username));
    socket.on('room_deleted', () => this.markDeleted());
    socket.io.on('reconnect_attempt', this.onReconnectAttempt);
    window.addEventListener('offline', this.onOffline);
    socket.connect();
  }

  send(content: string): void {
    if (!this.isDeleted()) this.outbox.add(content, this.session.user()?.username ?? '');
  }

  retry(clientId: string): void {
    if (!this.isDeleted()) this.outbox.retry(clientId);
  }

  discard(clientId: string): void {
    this.outbox.discard(clientId);
  }

  loadOlder(): void {
    this.history.loadOlder();
  }

  /** Tells the room we are typing, at most once per TYPING_THROTTLE_MS. */
  notifyTyping(): void {
    const now = Date.now();
    if (!this.socket?.connected || now - this.lastTypingSentAt < TYPING_THROTTLE_MS) return;
    this.lastTypingSentAt = now;
    this.socket.emit('typing', {});
  }

  private receive(messages: readonly Message[], source: MessageSource): void {
    this.history.merge(messages, source);
    this.settle(messages);
    if (source === 'live') for (const message of messages) this.typing.stopped(message.username);
  }

  private settle(messages: readonly Message[]): void {
    for (const message of messages) this.outbox.settle(message);
  }

  private onConnect(): void {
    this.status.set('connected');
    this.connectionError.set(null);
    this.outbox.flush();
  }

  private onDisconnect(reason: string): void {
    this.users.set([]);
    this.typing.clear();
    if (this.isDeleted() || reason === 'io client disconnect') {
      this.status.set('disconnected');
      return;
    }
    this.status.set('reconnecting');
    // The server let go of us (e.g. a node shutting down); socket.io only retries lost transports.
    if (reason === 'io server disconnect')
      this.later(() => this.socket?.connect(), RECONNECT_DELAY_MS);
  }

  private onConnectError(code: string): void {
    if (code === 'unauthorized') {
      this.close();
      this.session.clear();
      void signInAgain(this.router);
      return;
    }
    if (code === 'room_not_found') return this.markDeleted();
    const isRefusal = code === 'forbidden_origin' || code === 'unavailable';
    this.connectionError.set(describeError({ code: isRefusal ? code : 'network' }));
    if (this.socket?.active) return; // a transport failure: socket.io keeps trying by itself
    if (code === 'forbidden_origin') return this.status.set('disconnected');
    this.status.set('reconnecting');
    this.later(() => this.socket?.connect(), RECONNECT_DELAY_MS);
  }

  private keepUnsent(entries: Parameters<typeof saveOutbox>[2]): void {
    const userId = this.session.user()?.id;
    if (userId !== undefined && this.roomName !== null) saveOutbox(userId, this.roomName, entries);
  }

  private readonly onReconnectAttempt = () => {
    if (!this.isDeleted()) this.status.set('reconnecting');
  };

  /** The browser lost its network: say so now, not at socket.io's next missed ping. */
  private readonly onOffline = () => this.dropLine();

  /**
   * Closes the transport as if the line had dropped: socket.io reconnects by itself (with its
   * backoff, until the network is back) and the outbox resends on connect.
   */
  private dropLine(): void {
    if (this.socket?.connected) this.socket.io.engine.close();
  }

  private markDeleted(): void {
    if (this.isDeleted()) return;
    this.isDeleted.set(true);
    this.outbox.failAll(describeError({ code: 'room_not_found' }));
    this.clearTimers();
    this.socket?.disconnect(); // and no reconnecting: the room is gone
    this.status.set('disconnected');
  }

  private later(task: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, ms);
    this.timers.add(timer);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private close(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.off();
      socket.io.off('reconnect_attempt', this.onReconnectAttempt);
      socket.disconnect();
    }
    window.removeEventListener('offline', this.onOffline);
    this.history.close();
    this.clearTimers();
    this.typing.clear();
    this.lastTypingSentAt = -Infinity;
  }
}
