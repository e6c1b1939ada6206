import { roomNamespace, type PlainServerFrame } from '@parley/contracts';
import type { CommittedEvent, RevocationList } from '@parley/db';
import type { RoomStream, RoomStreams } from '../messages/room-streams';
import type { SessionRegistry } from '../sessions/session-registry';
import type { ChatIo } from '../socket/types';

/**
 * What committed transactions announce, in commit order, on every node: new messages go to the
 * room's stream, a deleted room's clients are told and disconnected, a revoked token's
 * connections end and its handshakes are refused.
 */
export function handleCommittedEvents(
  io: ChatIo,
  streams: RoomStreams,
  sessions: SessionRegistry,
  revocations: Pick<RevocationList, 'add'>,
) {
  return (event: CommittedEvent): void => {
    switch (event.type) {
      case 'messages_created':
        streams.onMessages(event.roomId, event.lastSeq, event.messages);
        break;
      case 'room_deleted':
        // After the room's pending deliveries: its last messages still arrive before the notice.
        streams.afterDeliveries(event.roomId, (stream) => closeDeletedRoom(io, stream));
        break;
      case 'token_revoked':
        revocations.add(event);
        sessions.revoke(event.jti);
        break;
    }
  };
}

/** Tells a deleted room's members on this node, Socket.IO and plain, and disconnects them. */
export function closeDeletedRoom(io: ChatIo, stream: RoomStream): void {
  const { name } = stream.room;
  const namespace = io._nsps.get(roomNamespace(name));
  namespace?.local.emit('room_deleted', { name });
  namespace?.local.disconnectSockets(true);
  const frame = JSON.stringify({ type: 'room_deleted', name } satisfies PlainServerFrame);
  for (const member of stream.plainMembers) member.close(frame);
}
