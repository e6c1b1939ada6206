import type { RawMember } from '../../bench/src/load/sio-client';
import { connectLoad } from '../../bench/src/scenarios/fanout';
import type { FanoutServer, Persisted } from '../../bench/src/scenarios/fanout-servers';

const ACKED = '[{"ok":true,"message":{}}]';
const UNAVAILABLE = '[{"ok":false,"error":{"code":"unavailable","message":"retry"}}]';
const PIDS = { chat: [process.pid], other: [] };
/** 2 rooms of 2 members, 1,000 messages a second for 100 ms. */
const RECEIVERS = 4;
const FANOUT = 2;
const PLAN = { warmupMs: 0, windowMs: 100, repetitions: 1 };
const OFFERED = 2_000;

/**
 * A saturated chat service as the load sees it: every other message is stored, delivered and acked
 * at once; the rest are acked `unavailable` (past the deadline) and stay queued, to be stored and
 * delivered later, ten at every other read of the database, after that read took its snapshot:
 * the database looks unchanged for one read, then a batch commits while the check is reading.
 */
function saturatedServer(): FanoutServer {
  const members: { room: number; member: RawMember }[] = [];
  const stored = new Map<number, number>();
  const queued: number[] = [];
  let sends = 0;
  let reads = 0;
  const store = (room: number) => {
    stored.set(room, (stored.get(room) ?? 0) + 1);
    for (const m of members) if (m.room === room) m.member.frames++;
  };
  return {
    kind: 'A',
    chatPids: PIDS.chat,
    otherPids: [],
    hasAck: true,
    connect(room) {
      const member: RawMember = {
        frames: 0,
        send(_content, _clientId, onAck) {
          if (sends++ % 2 === 0) {
            store(room);
            onAck?.(ACKED);
          } else {
            queued.push(room);
            onAck?.(UNAVAILABLE);
          }
        },
        close: () => undefined,
      };
      members.push({ room, member });
      return Promise.resolve(member);
    },
    persisted() {
      const snapshot = new Map<number, Persisted>(
        [...stored].map(([room, count]) => [
          room,
          { count, distinct: count, maxSeq: count, lastSeq: count },
        ]),
      );
      if (reads++ % 2 === 1) for (const room of queued.splice(0, 10)) store(room);
      return Promise.resolve(snapshot);
    },
    stop: () => Promise.resolve(),
  };
}

test('when messages whose acks failed are stored while the check reads the database, then the check waits for them and passes', async () => {
  // Arrange
  const load = await connectLoad(saturatedServer(), RECEIVERS, FANOUT);
  await load.offer(OFFERED, PLAN, PIDS);

  // Act
  const verified = await load.verify();

  // Assert: every message sent reached both members of its room, half of them after their ack failed.
  expect(verified.messages).toBeGreaterThan(20);
  expect(verified.deliveries).toBe(verified.messages * FANOUT);
  expect(verified.failedAcks).toBe(Math.floor(verified.messages / 2));
});

test('when a member receives a message twice, then the check fails and names the room', async () => {
  // Arrange: the same server, its backlog stored; then one member of room 1 gets one frame more.
  const server = saturatedServer();
  const members: RawMember[] = [];
  const load = await connectLoad(
    {
      ...server,
      connect: async (room, index) => {
        const member = await server.connect(room, index);
        members.push(member);
        return member;
      },
    },
    RECEIVERS,
    FANOUT,
  );
  await load.offer(OFFERED, PLAN, PIDS);
  await load.verify();
  members[3]!.frames++;

  // Act
  const checking = load.verify();

  // Assert
  await expect(checking).rejects.toThrow(/^A delivered wrongly: room 1: 1 members got \d+ of \d+/);
});
