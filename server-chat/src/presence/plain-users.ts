/**
 * Usernames of this node's plain WebSocket clients, per room namespace: they have no Socket.IO
 * socket for presence to find. A user with several connections counts once.
 */
export function createPlainUsers() {
  const rooms = new Map<string, Map<string, number>>();

  return {
    /** Counts a connection in; true when its user was not in the room here yet. */
    add(namespaceName: string, username: string): boolean {
      let users = rooms.get(namespaceName);
      if (!users) {
        users = new Map();
        rooms.set(namespaceName, users);
      }
      const connections = users.get(username) ?? 0;
      users.set(username, connections + 1);
      return connections === 0;
    },

    /** Counts a connection out; true when it was its user's last one in the room here. */
    remove(namespaceName: string, username: string): boolean {
      const users = rooms.get(namespaceName);
      const connections = users?.get(username);
      if (!users || connections === undefined) return false;
      if (connections > 1) {
        users.set(username, connections - 1);
        return false;
      }
      users.delete(username);
      if (users.size === 0) rooms.delete(namespaceName);
      return true;
    },

    of(namespaceName: string): string[] {
      return [...(rooms.get(namespaceName)?.keys() ?? [])];
    },
  };
}

export type PlainUsers = ReturnType<typeof createPlainUsers>;
