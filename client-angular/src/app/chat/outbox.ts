import { signal } from '@angular/core';
import type { AckError, Message, MessageAck, SendMessagePayload } from '@parley/contracts';
import { describeError } from '../core/error-messages';

/** A message of ours not confirmed yet: on its way (pending) or refused (failed, retry offered). */
export interface OutboxEntry {
  readonly clientId: string;
  readonly content: string;
  readonly username: string;
  readonly createdAt: string;
  readonly status: 'pending' | 'failed';
  /** Why it failed, or why a pending one is waiting (the server asked us to slow down). */
  readonly error: string | null;
}

/** What the outbox needs from the room's connection. */
export interface OutboxLink {
  isConnected(): boolean;
  /** Emits `message`; `answer` gets an error when no ack came in time or the socket dropped. */
  emit(payload: SendMessagePayload, answer: (error: Error | null, ack?: MessageAck) => void): void;
  confirmed(message: Message): void;
  roomGone(): void;
  /**
   * No answer came although the socket says it is connected: the line is probably dead (a lost
   * network is noticed by socket.io only at its next missed ping, tens of seconds later). Drop it
   * and connect again; `flush()` then resends.
   */
  restart(): void;
  later(task: () => void, ms: number): void;
  /** The entries changed (to keep them across pages). */
  changed(entries: readonly OutboxEntry[]): void;
}

interface Attempts {
  inFlight: boolean;
  sent: number;
  busy: number;
}

/** Waits before resending after rate_limited / unavailable; then the entry fails. */
export const BUSY_BACKOFF_MS = [1000, 3000];
const WAITING: Partial<Record<string, string>> = {
  rate_limited: 'Sending too fast — your messages go out in order in a moment…',
  unavailable: 'Parley is busy — trying again…',
};
const UNANSWERED = 'Not confirmed yet — reconnecting…';
const SENDING_TOO_FAST = 'You are sending too fast. Retry in a moment.';

/**
 * Messages being sent, each under one clientId for its whole life: every resend (after a timeout,
 * a reconnect or a retry) uses the same id, so the server stores it once whatever happens. One
 * message is on its way at a time, the oldest pending first, so they are stored in the order
 * they were written: one held back (rate limit, busy server) holds back those after it rather
 * than being overtaken. A message is failed only by the server's answer (or the room's deletion),
 * never by silence: an unanswered one stays first in line and goes again on the next connection.
 * A failed message lets the next go; Retry puts it back in line.
 */
export class Outbox {
  private readonly state = signal<readonly OutboxEntry[]>([]);
  private readonly attempts = new Map<string, Attempts>();
  /** The entry on its way or waiting to be resent; no other is sent meanwhile. */
  private current: string | null = null;
  readonly entries = this.state.asReadonly();

  constructor(private readonly link: OutboxLink) {}

  add(content: string, username: string): void {
    const clientId = newClientId();
    const createdAt = new Date().toISOString();
    const entry: OutboxEntry = {
      clientId,
      content,
      username,
      createdAt,
      status: 'pending',
      error: null,
    };
    this.update((entries) => [...entries, entry]);
    this.attempts.set(clientId, freshAttempts());
    this.sendNext();
  }

  /** After a (re)connect: the message that was on its way goes again, else the next one. */
  flush(): void {
    if (this.current) this.transmit(this.current);
    else this.sendNext();
  }

  retry(clientId: string): void {
    if (!this.attempts.has(clientId)) return;
    this.attempts.set(clientId, freshAttempts());
    this.patch(clientId, { status: 'pending', error: null });
    this.sendNext();
  }

  discard(clientId: string): void {
    this.attempts.delete(clientId);
    this.update((entries) => entries.filter((entry) => entry.clientId !== clientId));
    this.release(clientId);
  }

  /** A confirmed message of the room: if it is one of ours, its entry is done. */
  settle(message: Message): void {
    const mine = this.state().find(
      (entry) => entry.clientId === message.clientId && entry.username === message.username,
    );
    if (mine) this.discard(mine.clientId);
  }

  failAll(reason: string): void {
    this.current = null;
    for (const attempts of this.attempts.values()) attempts.inFlight = false;
    this.update((entries) =>
      entries.map((entry) => ({ ...entry, status: 'failed', error: reason })),
    );
  }

  /**
   * Starts over with `unsent` (kept from an earlier page of this room): pending ones go, oldest
   * first, once connected, under their own clientIds; failed ones wait for Retry.
   */
  restore(unsent: readonly Omit<OutboxEntry, 'error'>[]): void {
    this.current = null;
    this.attempts.clear();
    for (const entry of unsent) {
      this.attempts.set(entry.clientId, freshAttempts());
    }
    this.state.set(unsent.map((entry) => ({ ...entry, error: null })));
    this.sendNext();
  }

  /** Sends the oldest pending entry unless one is already on its way or waiting. */
  private sendNext(): void {
    if (this.current) return;
    const next = this.state().find((entry) => entry.status === 'pending');
    if (!next) return;
    this.current = next.clientId;
    this.transmit(next.clientId);
  }

  private transmit(clientId: string): void {
    const entry = this.state().find((candidate) => candidate.clientId === clientId);
    const attempts = this.attempts.get(clientId);
    if (!entry || !attempts || this.current !== clientId || attempts.inFlight) return;
    if (!this.link.isConnected()) return; // flush() sends it on the next connect
    attempts.inFlight = true;
    const sent = ++attempts.sent;
    this.link.emit({ content: entry.content, clientId }, (error, ack) =>
      this.answer(clientId, attempts, sent, error, ack),
    );
  }

  private answer(
    clientId: string,
    attempts: Attempts,
    sent: number,
    error: Error | null,
    ack?: MessageAck,
  ): void {
    if (ack?.ok) {
      // Even a late answer to an earlier attempt confirms it: same clientId, same message.
      this.discard(clientId);
      this.link.confirmed(ack.message);
      return;
    }
    if (this.attempts.get(clientId) !== attempts || sent !== attempts.sent) return; // superseded
    attempts.inFlight = false;
    if (error || !ack) {
      // Resent by flush() once connected again, under the same clientId.
      if (!this.link.isConnected()) return;
      this.patch(clientId, { status: 'pending', error: UNANSWERED });
      this.link.restart();
      return;
    }
    const { code, message } = ack.error;
    if (
      (code === 'rate_limited' || code === 'unavailable') &&
      attempts.busy < BUSY_BACKOFF_MS.length
    ) {
      this.patch(clientId, { status: 'pending', error: WAITING[code] ?? null });
      this.link.later(() => this.transmit(clientId), BUSY_BACKOFF_MS[attempts.busy++]);
      return;
    }
    this.fail(clientId, failureOf(code, message));
    if (code === 'room_not_found') this.link.roomGone();
  }

  private fail(clientId: string, reason: string): void {
    this.patch(clientId, { status: 'failed', error: reason });
    this.release(clientId);
  }

  /** The entry on its way is done with (confirmed, discarded, failed): the next one may go. */
  private release(clientId: string): void {
    if (this.current !== clientId) return;
    this.current = null;
    this.sendNext();
  }

  private patch(clientId: string, change: Pick<OutboxEntry, 'status' | 'error'>): void {
    this.update((entries) =>
      entries.map((entry) => (entry.clientId === clientId ? { ...entry, ...change } : entry)),
    );
  }

  private update(change: (entries: readonly OutboxEntry[]) => readonly OutboxEntry[]): void {
    this.state.update(change);
    this.link.changed(this.state());
  }
}

const freshAttempts = (): Attempts => ({ inFlight: false, sent: 0, busy: 0 });

function failureOf(code: AckError['code'], message: string): string {
  if (code === 'validation_failed' && message) return message;
  return code === 'rate_limited' ? SENDING_TOO_FAST : describeError({ code });
}

/** crypto.randomUUID exists only in secure contexts; a plain-http LAN address still needs ids. */
function newClientId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
