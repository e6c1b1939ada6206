import { signal } from '@angular/core';

/** How long "X is typing…" stays after X's last typing event. */
export const TYPING_SHOWN_MS = 3000;

/** Who is typing right now, from the room's `typing` events, each shown for a few seconds. */
export class TypingTracker {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly state = signal<readonly string[]>([]);
  readonly users = this.state.asReadonly();

  saw(username: string): void {
    clearTimeout(this.timers.get(username));
    this.timers.set(
      username,
      setTimeout(() => this.stopped(username), TYPING_SHOWN_MS),
    );
    if (!this.state().includes(username)) this.state.update((users) => [...users, username]);
  }

  /** The user stopped (e.g. their message arrived). */
  stopped(username: string): void {
    clearTimeout(this.timers.get(username));
    this.timers.delete(username);
    if (this.state().includes(username)) {
      this.state.update((users) => users.filter((user) => user !== username));
    }
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.state.set([]);
  }
}
