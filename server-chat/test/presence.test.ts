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
    sockets: new Map([['socket-1', {}]]),
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
