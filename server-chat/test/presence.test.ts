import { createLogger } from '@parley/server-kit';
import { createPresence } from '../src/presence/presence';
import type { RoomNamespace } from '../src/socket/types';

afterEach(() => {
  jest.useRealTimers();
});

/** A room with one client on this node, whose presence computation finds nobody elsewhere. */
function roomWithOneClient(): RoomNamespace {
  return {
    name: '/ws/lobby',
    sockets: new Map([['socket-1', { rooms: new Set() }]]),
    timeout: () => ({ fetchSockets: () => Promise.resolve([]) }),
    local: { to: () => ({ emit: () => true }) },
  } as unknown as RoomNamespace;
}

test('when users change on this node, then the other nodes are told at once and again a second after the burst, and a change heard from another node is not passed on', () => {
  // Arrange
  jest.useFakeTimers();
  const startedAt = Date.now();
  const toldAt: number[] = [];
  const presence = createPresence(createLogger({ level: 'silent', name: 'presence-test' }), () =>
    toldAt.push(Date.now() - startedAt),
  );
  const room = roomWithOneClient();

  // Act: two local changes 500 ms apart (a burst), then one from another node.
  presence.changed(room);
  jest.advanceTimersByTime(500);
  presence.changed(room);
  jest.advanceTimersByTime(999);
  const beforeSettling = [...toldAt];
  jest.advanceTimersByTime(1);
  presence.changed(room, { isRemote: true });
  jest.advanceTimersByTime(5_000);
  presence.close();

  // Assert: at each change, and once more 1 s after the last local one; nothing for the remote.
  expect(beforeSettling).toEqual([0, 500]);
  expect(toldAt).toEqual([0, 500, 1_500]);
});

/** A room on this node whose live sockets are `usernames` (no other node); records what is told. */
function roomOf(usernames: string[]) {
  const toldRoom: string[][] = [];
  const sockets = new Map<string, ReturnType<typeof liveSocket>>();
  const liveSocket = (username: string) => {
    const told: string[][] = [];
    return {
      rooms: new Set(['live']),
      data: { session: { username } },
      told,
      emit: (_event: string, { users }: { users: string[] }) => told.push(users),
    };
  };
  const join = (username: string) => {
    const socket = liveSocket(username);
    sockets.set(`socket-${sockets.size + 1}`, socket);
    return socket;
  };
  for (const username of usernames) join(username);
  const namespace = {
    name: '/ws/lobby',
    sockets,
    timeout: () => ({ fetchSockets: () => Promise.resolve([...sockets.values()]) }),
    local: {
      to: () => ({
        emit: (event: string, payload: { users: string[] }) => {
          toldRoom.push(payload.users);
          for (const socket of sockets.values()) socket.emit(event, payload);
        },
      }),
    },
  };
  return { namespace: namespace as unknown as RoomNamespace, toldRoom, join };
}

test('when a second tab of a user already here joins, then only that tab is told (the set did not change), and a real change still reaches everyone once', async () => {
  jest.useFakeTimers();
  const presence = createPresence(
    createLogger({ level: 'silent', name: 'presence-test' }),
    () => {},
  );
  const room = roomOf(['ana']);
  presence.changed(room.namespace);
  await jest.advanceTimersByTimeAsync(2_000);
  expect(room.toldRoom).toEqual([['ana']]);

  const secondTab = room.join('ana');
  presence.changed(room.namespace);
  await jest.advanceTimersByTimeAsync(2_000);
  room.join('bo');
  presence.changed(room.namespace);
  await jest.advanceTimersByTimeAsync(2_000);
  presence.close();

  expect(secondTab.told).toEqual([['ana'], ['ana', 'bo']]);
  expect(room.toldRoom).toEqual([['ana'], ['ana', 'bo']]);
});
