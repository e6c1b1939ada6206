import type { Message } from '@parley/contracts';
import type { OutboxEntry } from './outbox';

/** One line of the room as the message list shows it: a confirmed message or one of ours on its way. */
export interface ChatLine {
  /** Stable across pending → confirmed, so the list keeps the same element. */
  readonly key: string;
  readonly username: string;
  readonly content: string;
  readonly timestamp: string;
  readonly status: 'sent' | 'pending' | 'failed';
  readonly clientId: string | null;
  /** Why it failed, or why a pending one waits. */
  readonly error: string | null;
}

// (username, clientId) is unique per room (the server dedupes on it); messages without one use the id.
const keyOf = (username: string, clientId: string | null, id?: number) =>
  clientId ? `${username}:${clientId}` : `#${id}`;

export function lineOfMessage(message: Message): ChatLine {
  return {
    key: keyOf(message.username, message.clientId, message.id),
    username: message.username,
    content: message.content,
    timestamp: message.timestamp,
    status: 'sent',
    clientId: message.clientId,
    error: null,
  };
}

export function lineOfEntry(entry: OutboxEntry): ChatLine {
  return {
    key: keyOf(entry.username, entry.clientId),
    username: entry.username,
    content: entry.content,
    timestamp: entry.createdAt,
    status: entry.status,
    clientId: entry.clientId,
    error: entry.error,
  };
}
