import {
  afterRenderEffect,
  ChangeDetectionStrategy,
  Component,
  input,
  output,
  signal,
  viewChild,
  type ElementRef,
} from '@angular/core';
import { LocalDatePipe } from '../shared/local-date-pipe';
import type { ChatLine } from './chat-line';

/** Within this many pixels of an edge counts as being there. */
const EDGE_PX = 32;
const TODAY: Intl.DateTimeFormatOptions = { timeStyle: 'short' };
const OTHER_DAY: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };
const newMessages = (count: number) => `${count} new ${count === 1 ? 'message' : 'messages'}`;

/**
 * The room's messages, oldest first, as text. Stays at the bottom while the reader is there,
 * counts what arrives while they read further up, and asks for older pages at the top.
 */
@Component({
  selector: 'app-message-list',
  imports: [LocalDatePipe],
  templateUrl: './message-list.html',
  styleUrl: './message-list.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MessageList {
  readonly lines = input.required<readonly ChatLine[]>();
  /** The room's history has not arrived yet: no lines does not mean an empty room. */
  readonly isLoading = input(false);
  readonly hasOlder = input(false);
  /** The signed-in user's name: their lines are set apart. */
  readonly self = input<string | null>(null);
  readonly isLoadingOlder = input(false);
  readonly olderError = input<string | null>(null);
  readonly loadOlder = output<void>();
  readonly retry = output<string>();
  readonly discard = output<string>();

  private readonly scroller = viewChild.required<ElementRef<HTMLElement>>('scroller');
  protected readonly unseen = signal(0);
  /** Read out by a polite live region as messages arrive. */
  protected readonly announcement = signal('');
  protected readonly newMessages = newMessages;
  private isAtBottom = true;
  private shown = { first: '', last: '', height: 0 };
  /** "Load older messages" was used: when it goes (the room's start reached), focus stays near. */
  private isOlderAsked = false;

  constructor() {
    afterRenderEffect(() => this.keepPosition(this.lines()));
    afterRenderEffect(() => {
      if (this.hasOlder() || !this.isOlderAsked) return;
      this.isOlderAsked = false;
      if (document.activeElement === document.body) this.scroller().nativeElement.focus();
    });
  }

  protected askOlder(): void {
    if (this.isLoadingOlder()) return;
    this.isOlderAsked = true;
    this.loadOlder.emit();
  }

  protected timeOptions(timestamp: string): Intl.DateTimeFormatOptions {
    return new Date(timestamp).toDateString() === new Date().toDateString() ? TODAY : OTHER_DAY;
  }

  protected onScroll(): void {
    const { scrollTop, scrollHeight, clientHeight } = this.scroller().nativeElement;
    this.isAtBottom = scrollHeight - scrollTop - clientHeight <= EDGE_PX;
    if (this.isAtBottom) this.unseen.set(0);
    if (scrollTop <= EDGE_PX && this.hasOlder() && !this.isLoadingOlder()) this.loadOlder.emit();
  }

  protected scrollToBottom(): void {
    const element = this.scroller().nativeElement;
    element.scrollTop = element.scrollHeight;
    this.isAtBottom = true;
    this.unseen.set(0);
  }

  private keepPosition(lines: readonly ChatLine[]): void {
    const element = this.scroller().nativeElement;
    const [first, last] = [lines[0]?.key ?? '', lines.at(-1)?.key ?? ''];
    const seen = lines.findIndex((line) => line.key === this.shown.last);
    const arrived = last === this.shown.last || seen === -1 ? [] : lines.slice(seen + 1);
    const fromOthers = arrived.filter((line) => line.status === 'sent');
    if (this.isAtBottom || seen === -1 || arrived.length > fromOthers.length) {
      // At the bottom, a new list, or one of ours just written: show the latest.
      this.scrollToBottom();
      if (fromOthers.length === 1)
        this.announcement.set(`New message from ${fromOthers[0].username}`);
      else if (fromOthers.length > 1) this.announcement.set(newMessages(fromOthers.length));
    } else if (first !== this.shown.first && lines.some((line) => line.key === this.shown.first)) {
      // Older messages came in above: keep the ones being read where they were.
      element.scrollTop += element.scrollHeight - this.shown.height;
    } else if (fromOthers.length > 0) {
      this.unseen.update((count) => count + fromOthers.length);
      this.announcement.set(`${newMessages(this.unseen())} below`);
    }
    this.shown = { first, last, height: element.scrollHeight };
  }
}
