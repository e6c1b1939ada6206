import type { Logger } from '@parley/server-kit';
import { LIVE, type RoomNamespace } from '../socket/types';

const DEBOUNCE_MS = 50;
/**
 * Nodes compute presence concurrently: one may ask another before that one has seen a
 * disconnect, and publish a stale set. A second publication once things settle corrects it.
 */
const SETTLE_MS = 1_000;
const ASK_TIMEOUT_MS = 1_000;
const MAX_ATTEMPTS = 4;
/** Other nodes' sockets are only asked for: a node that died stops answering, and this heals. */
const REFRESH_MS = 10_000;

/**
 * Who is online in a room, across every chat node: usernames of the namespace's sockets (a user
 * with several tabs once). Published shortly after each join or leave on this node, checked again
 * when things have settled, and refreshed every REFRESH_MS while the room has clients here.
 */
export function createPresence(
  logger: Logger,
  /** Tells the other nodes that a room's users changed here (their own namespace stays open). */
  announce: (namespaceName: string) => void,
) {
  const namespacesWithClients = new Set<RoomNamespace>();

  const publish = async (
    namespace: RoomNamespace,
    { isLocalOnly = false, attempt = 1 } = {},
  ): Promise<void> => {
    try {
      // Another node that does not answer (dead, or its Redis link coming back) costs at most
      // this long; the computation is then tried again.
      const sockets = await namespace.timeout(ASK_TIMEOUT_MS).fetchSockets();
      const users = [...new Set(sockets.map((socket) => socket.data.session.username))].sort();
      (isLocalOnly ? namespace.local : namespace).to(LIVE).emit('presence', { users });
    } catch (error) {
      logger.warn({ err: error, namespace: namespace.name, attempt }, 'presence not computed');
      if (attempt < MAX_ATTEMPTS && namespacesWithClients.has(namespace)) {
        setTimeout(
          () => void publish(namespace, { isLocalOnly, attempt: attempt + 1 }),
          250,
        ).unref();
      }
    }
  };

  const refresher = setInterval(() => {
    for (const namespace of namespacesWithClients) void publish(namespace, { isLocalOnly: true });
  }, REFRESH_MS);
  refresher.unref();

  const debounced = new Map<RoomNamespace, NodeJS.Timeout>();
  const settling = new Map<RoomNamespace, NodeJS.Timeout>();

  return {
    /** The set of users in `namespace` changed on this node (or, `isRemote`, on another). */
    changed(namespace: RoomNamespace, { isRemote = false } = {}): void {
      if (namespace.sockets.size === 0) {
        // Its last client here left and the namespace is gone with its adapter: it can no longer
        // ask the others, so they publish from theirs.
        namespacesWithClients.delete(namespace);
        if (!isRemote) announce(namespace.name);
        return;
      }
      namespacesWithClients.add(namespace);
      if (!debounced.has(namespace)) {
        const timer = setTimeout(() => {
          debounced.delete(namespace);
          void publish(namespace);
        }, DEBOUNCE_MS);
        debounced.set(namespace, timer);
      }
      // Trailing: SETTLE_MS after the last change of a burst.
      clearTimeout(settling.get(namespace));
      const settle = setTimeout(() => {
        settling.delete(namespace);
        void publish(namespace);
      }, SETTLE_MS);
      settling.set(namespace, settle);
    },

    /** Everyone in every room here gets presence again (e.g. after Redis came back). */
    refreshAll(): void {
      for (const namespace of namespacesWithClients) void publish(namespace);
    },

    close(): void {
      clearInterval(refresher);
      for (const timer of [...debounced.values(), ...settling.values()]) clearTimeout(timer);
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
