import type { Message } from '@parley/contracts';

/** A relay's room: its own counter stands in for the product's seq. */
export interface RelayRoom {
  id: number;
  lastSeq: number;
}

/** The next message of `room`, in the product's shape, so that relays send the same bytes. */
export function nextMessage(room: RelayRoom, content: string, clientId: string | null): Message {
  const seq = ++room.lastSeq;
  return {
    id: seq,
    roomId: room.id,
    seq,
    username: 'relay',
    content,
    timestamp: new Date().toISOString(),
    clientId,
  };
}
