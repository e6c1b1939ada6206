import type { CommittedEvent } from '@parley/db';
import type { ResponseCache } from '../http/response-cache';

/** A room's history pages, by the room's name (requests and events both name it). */
export const historyScope = (roomName: string) => `history:${roomName}`;
/** Room search results: any room created or deleted can change them. */
export const SEARCH_SCOPE = 'search';

/** Invalidates the cached responses a committed change makes stale, on this node. */
export function invalidateFor(
  cache: Pick<ResponseCache, 'invalidate'>,
  event: CommittedEvent,
): void {
  switch (event.type) {
    case 'messages_created':
      cache.invalidate(historyScope(event.roomName));
      break;
    case 'room_created':
      cache.invalidate(SEARCH_SCOPE);
      break;
    case 'room_deleted':
      cache.invalidate(historyScope(event.roomName), { isDeleted: true });
      cache.invalidate(SEARCH_SCOPE);
      break;
  }
}
