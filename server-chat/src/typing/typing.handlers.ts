import { LIVE, type RoomSocket } from '../socket/types';

const MIN_INTERVAL_MS = 500;

/** `typing` is relayed to the others in the room (on every node) and never stored. */
export function registerTypingHandlers(socket: RoomSocket): void {
  let lastRelayedAt = 0;
  socket.on('typing', () => {
    const now = Date.now();
    // Keystrokes arrive far more often than anyone needs to be told.
    if (now - lastRelayedAt < MIN_INTERVAL_MS) return;
    lastRelayedAt = now;
    socket.broadcast.to(LIVE).emit('typing', { username: socket.data.session.username });
  });
}
