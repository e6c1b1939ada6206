import type { Logger } from '@parley/server-kit';
import { LIVE, type RoomNamespace } from '../socket/types';

const DEBOUNCE_MS = 50;
/** Other nodes' sockets are only asked for: a node that died stops answering, and this heals. */
const REFRESH_MS = 10_000;

/**
 * Who is online in a room, across every chat node: usernames of the namespace's sockets (a user
 * with several tabs once). Recomputed shortly after each join or leave on this node and every
 * REFRESH_MS while the room has clients here.
 */
export function createPresence(logger: Logger) {
  const pending = new Map<RoomNamespace, NodeJS.Timeout>();

  const publish = async (namespace: RoomNamespace, isLocalOnly: boolean) => {
    try {
      const sockets = await namespace.fetchSockets();
      const users = [...new Set(sockets.map((socket) => socket.data.session.username))].sort();
      (isLocalOnly ? namespace.local : namespace).to(LIVE).emit('presence', { users });
    } catch (error) {
      logger.warn({ err: error, namespace: namespace.name }, 'presence not computed');
    }
  };

  const refresher = setInterval(() => {
    for (const namespace of namespacesWithClients) void publish(namespace, true);
  }, REFRESH_MS);
  refresher.unref();
  const namespacesWithClients = new Set<RoomNamespace>();

  return {
    /** The set of users in `namespace` changed on this node. */
    changed(namespace: RoomNamespace): void {
      if (namespace.sockets.size > 0) namespacesWithClients.add(namespace);
      else namespacesWithClients.delete(namespace);
      if (pending.has(namespace)) return;
      const timer = setTimeout(() => {
        pending.delete(namespace);
        void publish(namespace, false);
      }, DEBOUNCE_MS);
      pending.set(namespace, timer);
    },

    /** Everyone in every room here gets presence again (e.g. after Redis came back). */
    refreshAll(): void {
      for (const namespace of namespacesWithClients) void publish(namespace, false);
    },

    close(): void {
      clearInterval(refresher);
      for (const timer of pending.values()) clearTimeout(timer);
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
