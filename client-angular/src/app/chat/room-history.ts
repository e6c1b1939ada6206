import type { HttpClient } from '@angular/common/http';
import { computed, signal } from '@angular/core';
import type { Message } from '@parley/contracts';
import { Subscription } from 'rxjs';
import { errorSentence } from '../core/error-messages';
import { MessageLog } from './message-log';

export const OLDER_PAGE = 50;
export const GAP_PAGE = 100;
export const GAP_RETRY_MS = 3000;

/** Where messages came from: only the live stream can reveal a gap (it arrives in seq order). */
export type MessageSource = 'history' | 'live' | 'ack';

/**
 * A room's messages by seq, completed over REST: older pages on demand (`beforeSeq`) and any gap
 * in the live stream (`afterSeq`), page after page until caught up.
 */
export class RoomHistory {
  private readonly log = new MessageLog();
  private readonly isExhausted = signal(false);
  private requests = new Subscription();
  private gapRetry: ReturnType<typeof setTimeout> | undefined;
  private roomName = '';
  private isFillingGap = false;

  readonly messages = this.log.messages;
  /** The room's history has arrived since it was opened (until then, empty says nothing). */
  readonly hasHistory = signal(false);
  readonly isLoadingOlder = signal(false);
  readonly olderError = signal<string | null>(null);
  /** Seqs start at 1 with no gaps, so a lowest seq above 1 means older messages exist. */
  readonly hasOlder = computed(() => !this.isExhausted() && (this.messages()[0]?.seq ?? 1) > 1);

  /** `fetched` hears of every page read over REST, once merged. */
  constructor(
    private readonly http: HttpClient,
    private readonly fetched: (messages: readonly Message[]) => void,
  ) {}

  open(roomName: string): void {
    this.close();
    this.roomName = roomName;
    this.log.clear();
    this.hasHistory.set(false);
    this.isExhausted.set(false);
    this.isLoadingOlder.set(false);
    this.olderError.set(null);
  }

  merge(messages: readonly Message[], source: MessageSource): void {
    if (source === 'history') this.hasHistory.set(true);
    this.log.merge(messages);
    if (source === 'live') this.fillGap();
  }

  /** For the handshake: the highest seq held without a gap, once history has been seen. */
  lastSeq(): number | undefined {
    return this.hasHistory() ? this.log.contiguousTop() : undefined;
  }

  loadOlder(): void {
    const lowest = this.messages()[0]?.seq;
    if (lowest === undefined || !this.hasOlder() || this.isLoadingOlder()) return;
    this.isLoadingOlder.set(true);
    this.olderError.set(null);
    this.fetch(
      { beforeSeq: lowest, limit: OLDER_PAGE },
      (messages) => {
        this.isLoadingOlder.set(false);
        if (messages.length === 0) this.isExhausted.set(true);
      },
      (error) => {
        this.isLoadingOlder.set(false);
        this.olderError.set(errorSentence(error));
      },
    );
  }

  close(): void {
    this.requests.unsubscribe();
    this.requests = new Subscription();
    clearTimeout(this.gapRetry);
    this.isFillingGap = false;
  }

  private fillGap(): void {
    if (this.isFillingGap || !this.log.hasGap()) return;
    this.isFillingGap = true;
    const after = this.log.contiguousTop();
    this.fetch(
      { afterSeq: after, limit: GAP_PAGE },
      () => {
        this.isFillingGap = false;
        if (this.log.contiguousTop() > after) this.fillGap(); // not caught up yet: next page
      },
      () => {
        this.isFillingGap = false;
        this.gapRetry = setTimeout(() => this.fillGap(), GAP_RETRY_MS);
      },
    );
  }

  private fetch(
    query: Record<'beforeSeq' | 'limit', number> | Record<'afterSeq' | 'limit', number>,
    done: (messages: Message[]) => void,
    failed: (error: unknown) => void,
  ): void {
    const url = `/api/rooms/${encodeURIComponent(this.roomName)}/messages`;
    const request = this.http.get<{ messages: Message[] }>(url, { params: query });
    this.requests.add(
      request.subscribe({
        next: ({ messages }) => {
          this.log.merge(messages);
          done(messages);
          this.fetched(messages);
        },
        error: failed,
      }),
    );
  }
}
