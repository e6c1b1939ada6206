import type { Message } from '@parley/contracts';

/** A confirmed message of room 1 with the given seq; every field can be overridden. */
export function aMessage(seq: number, fields: Partial<Message> = {}): Message {
  return {
    id: 1000 + seq,
    roomId: 1,
    seq,
    username: 'bob',
    content: `message ${seq}`,
    timestamp: new Date(Date.UTC(2025, 0, 1, 12, 0, seq % 60)).toISOString(),
    clientId: null,
    ...fields,
  };
}

/** Messages from `first` to `last` seq, inclusive. */
export function messagesBetween(first: number, last: number): Message[] {
  return Array.from({ length: last - first + 1 }, (_, index) => aMessage(first + index));
}
