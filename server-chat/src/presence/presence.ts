import type { Logger } from '@parley/server-kit';
import { LIVE, type RoomNamespace, type RoomSocket } from '../socket/types';

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
 * with several tabs once). Each node works it out shortly after each join or leave here (and the
 * other nodes, told of it, do the same), again when things have settled, and, with other nodes,
 * every REFRESH_MS while the room has clients here; its clients hear of it only when the users
 * changed since this node last told them (the contract's "whenever the set changes"), and a
 * client that just joined hears it once in any case.
 */
export function createPresence(
  logger: Logger,
  /**
   * Tells the other nodes that a room's users changed here; none when this node is alone (the
   * in-memory adapter), and then there is no other node's departure to heal either.
   */
  announce?: (namespaceName: string) => void,
  /** Usernames of the room's plain WebSocket clients on every node (they have no Socket.IO socket). */
  plainUsers: (namespaceName: string) => Promise<string[]> = () => Promise.resolve([]),
) {
  const namespacesWithClients = new Set<RoomNamespace>();
  /** What this node's clients of each room were last told (each node tells only its own). */
  const lastTold = new Map<RoomNamespace, string>();
  /** Live sockets here that have had presence at least once. */
  const hasPresence = new WeakSet<RoomSocket>();

  const publish = async (
    namespace: RoomNamespace,
    { isRefresh = false, attempt = 1 } = {},
  ): Promise<void> => {
    try {
      // Another node that does not answer (dead, or its Redis link coming back) costs at most
      // this long; the computation is then tried again.
      const [sockets, plain] = await Promise.all([
        namespace.timeout(ASK_TIMEOUT_MS).fetchSockets(),
        plainUsers(namespace.name),
      ]);
      const socketUsers = sockets.map((socket) => socket.data.session.username);
      const users = [...new Set([...socketUsers, ...plain])].sort();
      const told = users.join('\n');
      const isChange = lastTold.get(namespace) !== told;
      // A refresh only heals (e.g. a node that died took its users along): unchanged, it is quiet.
      if (isRefresh && !isChange) return;
      if (!namespacesWithClients.has(namespace)) return;
      lastTold.set(namespace, told);
      const live = [...namespace.sockets.values()].filter((socket) => socket.rooms.has(LIVE));
      if (isChange) {
        namespace.local.to(LIVE).emit('presence', { users });
      } else {
        // E.g. a second tab of a user already here: only the newcomer needs telling.
        for (const socket of live) if (!hasPresence.has(socket)) socket.emit('presence', { users });
      }
      for (const socket of live) hasPresence.add(socket);
    } catch (error) {
      logger.warn({ err: error, namespace: namespace.name, attempt }, 'presence not computed');
      if (attempt < MAX_ATTEMPTS && namespacesWithClients.has(namespace)) {
        setTimeout(() => void publish(namespace, { isRefresh, attempt: attempt + 1 }), 250).unref();
      }
    }
  };

  // Alone, a refresh would ask every room's sockets again and again for nothing: 20,000 idle
  // connections spent ~0.3 % of a core on it (profile of the benchmark's T7, A alone).
  const refresher =
    announce &&
    setInterval(() => {
      for (const namespace of namespacesWithClients) void publish(namespace, { isRefresh: true });
    }, REFRESH_MS);
  refresher?.unref();

  const debounced = new Map<RoomNamespace, NodeJS.Timeout>();
  const settling = new Map<RoomNamespace, NodeJS.Timeout>();
  const reannouncing = new Map<string, NodeJS.Timeout>();

  /**
   * Tells the other nodes now and again SETTLE_MS after the last local change of a burst: an
   * announcement published while a node's Redis link was coming back is lost, and without the
   * second one that node would only catch up at its next refresh.
   */
  const announceChange = (namespaceName: string) => {
    if (!announce) return;
    announce(namespaceName);
    clearTimeout(reannouncing.get(namespaceName));
    const timer = setTimeout(() => {
      reannouncing.delete(namespaceName);
      announce(namespaceName);
    }, SETTLE_MS);
    reannouncing.set(namespaceName, timer);
  };

  /** Works out the room's users soon, and again once things settle, for the clients here. */
  const recompute = (namespace: RoomNamespace) => {
    if (namespace.sockets.size === 0) {
      // Its last client here left: no one here to tell.
      namespacesWithClients.delete(namespace);
      lastTold.delete(namespace);
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
  };

  return {
    /** The set of users in `namespace` changed on this node (or, `isRemote`, on another). */
    changed(namespace: RoomNamespace, { isRemote = false } = {}): void {
      if (!isRemote) announceChange(namespace.name);
      recompute(namespace);
    },

    /**
     * A plain WebSocket client of the room joined or left here; `namespace` is the room's
     * Socket.IO namespace on this node, if it has one (only its clients are told presence).
     */
    plainChanged(namespaceName: string, namespace: RoomNamespace | undefined): void {
      announceChange(namespaceName);
      if (namespace) recompute(namespace);
    },

    /** Everyone in every room here gets presence again (e.g. after Redis came back). */
    refreshAll(): void {
      for (const namespace of namespacesWithClients) void publish(namespace);
    },

    close(): void {
      clearInterval(refresher);
      for (const timer of [...debounced.values(), ...settling.values(), ...reannouncing.values()]) {
        clearTimeout(timer);
      }
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
