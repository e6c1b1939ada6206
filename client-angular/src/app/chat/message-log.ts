import { signal } from '@angular/core';
import type { Message } from '@parley/contracts';

/**
 * A room's confirmed messages kept by seq: merging is idempotent (a seq already held is dropped)
 * and the list is always in seq order, whatever order pages and live messages arrive in.
 */
export class MessageLog {
  private readonly bySeq = new Map<number, Message>();
  private readonly sorted = signal<readonly Message[]>([]);
  readonly messages = this.sorted.asReadonly();

  /** Adds the messages not held yet and returns them. */
  merge(incoming: readonly Message[]): Message[] {
    // Seqs restart in a room deleted and created again under the same name: start afresh.
    const held = this.sorted()[0];
    if (held && incoming.length > 0 && incoming[0].roomId !== held.roomId) this.clear();
    const added: Message[] = [];
    for (const message of incoming) {
      if (this.bySeq.has(message.seq)) continue;
      this.bySeq.set(message.seq, message);
      added.push(message);
    }
    if (added.length > 0) {
      this.sorted.set([...this.bySeq.values()].sort((a, b) => a.seq - b.seq));
    }
    return added;
  }

  /** The highest seq reached from the lowest one held without a gap; 0 when empty. */
  contiguousTop(): number {
    const messages = this.sorted();
    let top = messages[0]?.seq ?? 0;
    for (const message of messages) {
      if (message.seq > top + 1) break;
      top = message.seq;
    }
    return top;
  }

  hasGap(): boolean {
    return (this.sorted().at(-1)?.seq ?? 0) > this.contiguousTop();
  }

  clear(): void {
    this.bySeq.clear();
    this.sorted.set([]);
  }
}
