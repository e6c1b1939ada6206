import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

/** "X is typing…" for the people typing in the room, announced politely. */
@Component({
  selector: 'app-typing-indicator',
  template: `<p class="typing" aria-live="polite">{{ text() }}</p>`,
  styleUrl: './typing-indicator.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TypingIndicator {
  readonly users = input.required<readonly string[]>();

  protected readonly text = computed(() => {
    const [first, second, ...others] = this.users();
    if (!first) return '';
    if (!second) return `${first} is typing…`;
    if (others.length === 0) return `${first} and ${second} are typing…`;
    const count = others.length;
    return `${first}, ${second} and ${count} ${count === 1 ? 'other' : 'others'} are typing…`;
  });
}
