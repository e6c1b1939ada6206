import { roomNamespace, type PlainServerFrame } from '@parley/contracts';
import type { CommittedEvent, RevocationList } from '@parley/db';
import type { RoomStreams } from '../messages/room-streams';
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
        streams.afterDeliveries(event.roomId, (stream) => {
          const name = roomNamespace(event.roomName);
          const namespace = io._nsps.get(name);
          namespace?.local.emit('room_deleted', { name: event.roomName });
          namespace?.local.disconnectSockets(true);
          const frame = JSON.stringify({
            type: 'room_deleted',
            name: event.roomName,
          } satisfies PlainServerFrame);
          for (const member of stream.plainMembers) member.close(frame);
        });
        break;
      case 'token_revoked':
        revocations.add(event);
        sessions.revoke(event.jti);
        break;
    }
  };
}
