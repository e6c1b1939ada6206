import {
  afterNextRender,
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  type ElementRef,
  input,
  output,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { codePointLength, LIMITS, messageContentSchema } from '@parley/contracts';
import { loadDraft, saveDraft } from '../core/unsent';

/** Whose draft of which room the composer holds (kept across pages of this tab). */
export interface DraftOf {
  userId: number;
  room: string;
}

/** The counter turns into a warning this many characters before the limit. */
export const WARN_REMAINING = 200;

/** Writes a message: Enter sends, Shift+Enter starts a new line; the limit shows before it is hit. */
@Component({
  selector: 'app-composer',
  templateUrl: './composer.html',
  styleUrl: './composer.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Composer {
  readonly disabled = input(false);
  readonly draftOf = input<DraftOf | null>(null);
  readonly send = output<string>();
  readonly typing = output<void>();

  protected readonly text = signal('');
  private readonly field = viewChild.required<ElementRef<HTMLTextAreaElement>>('message');
  // What is sent is trimmed, so that is what counts.
  protected readonly remaining = computed(
    () => LIMITS.messageMaxLength - codePointLength(this.text().trim()),
  );
  protected readonly isOver = computed(() => this.remaining() < 0);
  protected readonly isNear = computed(() => !this.isOver() && this.remaining() <= WARN_REMAINING);
  protected readonly content = computed(() => messageContentSchema.safeParse(this.text()));
  protected readonly canSend = computed(() => !this.disabled() && this.content().success);
  protected readonly counter = computed(() => {
    const count = Math.abs(this.remaining());
    const characters = count === 1 ? 'character' : 'characters';
    return this.isOver()
      ? `${count} ${characters} over the limit of ${LIMITS.messageMaxLength}`
      : `${count} ${characters} left`;
  });
  /** Announced only when crossing into the warning or over the limit, not on every keystroke. */
  protected readonly limitAlert = computed(() =>
    this.isOver()
      ? `Your message is over the ${LIMITS.messageMaxLength}-character limit.`
      : this.isNear()
        ? `You are close to the ${LIMITS.messageMaxLength}-character limit.`
        : '',
  );

  constructor() {
    // Each room's unsent text comes back with the room, after a reload or a sign-in too.
    effect(() => {
      const of = this.draftOf();
      untracked(() => this.text.set(of ? loadDraft(of.userId, of.room) : ''));
    });
    // Opening a room means being ready to write, except on a touch screen, where the keyboard
    // would cover the conversation the user came to read.
    afterNextRender(() => {
      if (!matchMedia('(pointer: coarse)').matches) this.focus();
    });
  }

  protected onInput(value: string): void {
    this.setText(value);
    if (value.trim()) this.typing.emit();
  }

  protected onKeydown(event: KeyboardEvent): void {
    // Enter while an input method is composing (e.g. Japanese) confirms the composition instead.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit();
  }

  protected submit(event?: Event): void {
    event?.preventDefault();
    const content = this.content();
    if (!this.canSend() || !content.success) return;
    this.send.emit(content.data);
    this.setText('');
    // Now, not at the next render: a key pressed meanwhile would add to the text just sent.
    this.field().nativeElement.value = '';
    // After a click on Send, the next message is typed where the last one was.
    this.focus();
  }

  private setText(text: string): void {
    this.text.set(text);
    const of = this.draftOf();
    if (of) saveDraft(of.userId, of.room, text);
  }

  private focus(): void {
    if (!this.disabled()) this.field().nativeElement.focus();
  }
}
