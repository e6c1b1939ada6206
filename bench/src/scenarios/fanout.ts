// Fan-out: R receivers in rooms of F members, messages offered open loop at a fixed number of
// deliveries per second. Reads server CPU over each measured window, latency at the room's first
// and last member, and checks that every message reached every member exactly once.
import { createHistogram, monitorEventLoopDelay, type RecordableHistogram } from 'node:perf_hooks';
import type { RawMember } from '../load/sio-client';
import type { FanoutServer, Persisted } from './fanout-servers';
import { snapshot, windowResult, type LoadPlan, type WindowResult } from './fanout-windows';

/** One member of the load: a connection, its room, and whether it is a latency probe. */
interface Member {
  room: number;
  socket: RawMember;
}

const PROBE_ROOMS = 20;
const SENDERS_PER_ROOM = 5;
const PADDING = ' — a benchmark message of ordinary length, about one line of chat';

/** Nothing delivered or stored for this long: the server is done with what it will store. */
const QUIET_MS = 1_000;
/** Incomplete and nothing moving for this long: the check fails. */
const STALLED_MS = 5_000;

const sameCounts = (a?: Map<number, Persisted>, b?: Map<number, Persisted>) =>
  JSON.stringify([...(a ?? [])]) === JSON.stringify([...(b ?? [])]);

const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

/**
 * A connected load: `receivers` members in rooms of `fanout` on `server`. Offers loads one after
 * the other on the same connections; the counts carry over, so the exactly-once check spans all.
 */
export async function connectLoad(server: FanoutServer, receivers: number, fanout: number) {
  const roomCount = Math.ceil(receivers / fanout);
  const probeRooms = Math.min(PROBE_ROOMS, roomCount);
  let firstHistogram = createHistogram();
  let lastHistogram = createHistogram();
  let ackHistogram = createHistogram();
  let windowStart = Infinity;
  let windowEnd = Infinity;
  const isMeasured = (intended: number) => intended >= windowStart && intended < windowEnd;
  const probe = (histogram: () => RecordableHistogram) => (frame: string) => {
    const at = frame.indexOf('"content":"t');
    const intended = Number(frame.slice(at + 12, frame.indexOf(' ', at)));
    if (isMeasured(intended)) histogram().record(Math.max(1, nowMicros() - intended));
  };

  const members: Member[] = [];
  // Connect in batches: a thousand handshakes at once would only queue in the server.
  const BATCH = 100;
  for (let from = 0; from < receivers; from += BATCH) {
    const batch = [];
    for (let i = from; i < Math.min(receivers, from + BATCH); i++) {
      const room = Math.floor(i / fanout);
      const index = i % fanout;
      const isProbeRoom = room < probeRooms;
      const onMessage = !isProbeRoom
        ? undefined
        : index === 0
          ? probe(() => firstHistogram)
          : index === Math.min(fanout, receivers - room * fanout) - 1
            ? probe(() => lastHistogram)
            : undefined;
      batch.push(server.connect(room, index, onMessage).then((socket) => ({ room, socket })));
    }
    members.push(...(await Promise.all(batch)));
  }
  const sendersOf = Array.from({ length: roomCount }, (_, room) =>
    members.filter((member) => member.room === room).slice(0, SENDERS_PER_ROOM),
  );
  const sentPerRoom = new Array<number>(roomCount).fill(0);
  const ackedPerRoom = new Array<number>(roomCount).fill(0);
  let failedAcks = 0;
  let sequence = 0;

  const totalFrames = () => members.reduce((sum, member) => sum + member.socket.frames, 0);

  /** Offers `deliveriesPerSecond` for warm-up + repetitions windows; returns each window. */
  async function offer(
    deliveriesPerSecond: number,
    plan: LoadPlan,
    pids: { chat: number[]; other: number[] },
  ): Promise<WindowResult[]> {
    const messagesPerSecond = deliveriesPerSecond / fanout;
    const startedAt = nowMicros();
    const intervalUs = 1e6 / messagesPerSecond;
    const totalMs = plan.warmupMs + plan.repetitions * plan.windowMs;
    let next = 0;
    const sendDue = () => {
      const now = nowMicros();
      for (;;) {
        const intended = startedAt + Math.round(next * intervalUs);
        if (intended > now || intended >= startedAt + totalMs * 1000) break;
        const room = next % roomCount;
        const senders = sendersOf[room]!;
        const sender = senders[Math.floor(next / roomCount) % senders.length]!;
        const clientId = `c${sequence++}`;
        sentPerRoom[room]!++;
        sender.socket.send(
          `t${intended} ${clientId}${PADDING}`,
          clientId,
          server.hasAck
            ? (payload) => {
                if (payload.startsWith('[{"ok":true')) {
                  ackedPerRoom[room]!++;
                  if (isMeasured(intended))
                    ackHistogram.record(Math.max(1, nowMicros() - intended));
                } else failedAcks++;
              }
            : undefined,
        );
        next++;
      }
    };
    const ticker = setInterval(sendDue, 1);
    const results: WindowResult[] = [];
    try {
      await delay(plan.warmupMs);
      for (let rep = 0; rep < plan.repetitions; rep++) {
        firstHistogram = createHistogram();
        lastHistogram = createHistogram();
        ackHistogram = createHistogram();
        const lag = monitorEventLoopDelay({ resolution: 1 });
        lag.enable();
        const before = snapshot(pids, totalFrames());
        windowStart = nowMicros();
        windowEnd = windowStart + plan.windowMs * 1000;
        await delay(plan.windowMs);
        const after = snapshot(pids, totalFrames());
        lag.disable();
        results.push({
          ...windowResult(deliveriesPerSecond, before, after, {
            first: firstHistogram,
            last: lastHistogram,
            ack: ackHistogram,
          }),
          loadLagP99Us: lag.percentile(99) / 1000,
        });
      }
    } finally {
      clearInterval(ticker);
    }
    // Probes may still be receiving the last window's messages: keep recording until drained.
    await drain();
    windowStart = windowEnd = Infinity;
    return results;
  }

  /** Waits until every member holds every message of its room, or progress stops for 3 s. */
  async function drain(): Promise<void> {
    let lastTotal = -1;
    let stillSince = performance.now();
    for (;;) {
      const expected = members.reduce(
        (sum, member) => sum + (server.hasAck ? ackedPerRoom : sentPerRoom)[member.room]!,
        0,
      );
      const total = totalFrames();
      if (total >= expected && pendingAcks() === 0) return;
      if (total !== lastTotal) {
        lastTotal = total;
        stillSince = performance.now();
      } else if (performance.now() - stillSince > 3_000) return;
      await delay(20);
    }
  }
  const pendingAcks = () =>
    server.hasAck
      ? sentPerRoom.reduce((sum, sent, room) => sum + sent - ackedPerRoom[room]!, 0) - failedAcks
      : 0;

  /** Throws unless every member received every message of its room exactly once. */
  async function verify(): Promise<{ messages: number; deliveries: number; failedAcks: number }> {
    // A send acked `unavailable` past its deadline (saturation) may still commit afterwards, and
    // the server may still be working through that backlog after the load stops. The members are
    // compared with the database only when no frame arrived while it was read (a batch committed
    // and delivered during the read would otherwise count as delivered but not stored), and only
    // once every message sent is stored or nothing has moved for QUIET_MS.
    let persisted: Map<number, Persisted> | undefined;
    const expectedIn = (room: number) =>
      persisted?.get(room)?.count ?? (server.hasAck ? ackedPerRoom : sentPerRoom)[room]!;
    let lastTotal = -1;
    let lastChange = performance.now();
    for (;;) {
      const framesBefore = totalFrames();
      const again = await server.persisted?.();
      const isSteady = totalFrames() === framesBefore;
      if (framesBefore !== lastTotal || !sameCounts(again, persisted)) {
        lastTotal = framesBefore;
        lastChange = performance.now();
      }
      persisted = again;
      const isComplete =
        isSteady && members.every((member) => member.socket.frames === expectedIn(member.room));
      const isAllStored = sentPerRoom.every(
        (sent, room) => !persisted || persisted.get(room)?.count === sent,
      );
      const quietMs = performance.now() - lastChange;
      if (isComplete && (isAllStored || quietMs > QUIET_MS)) break;
      if (quietMs > STALLED_MS) break;
      await delay(100);
    }
    const problems: string[] = [];
    for (let room = 0; room < roomCount; room++) {
      // A: the database is the truth (an unacked message may still have been committed);
      // every acked one must be there, once. Relays: what was sent (S acked) is what arrives.
      const stored = persisted?.get(room);
      if (stored && stored.count !== stored.distinct) {
        problems.push(`room ${room}: ${stored.count} rows for ${stored.distinct} clientIds`);
      }
      if (stored && stored.count < ackedPerRoom[room]!) {
        problems.push(`room ${room}: ${ackedPerRoom[room]} acked but ${stored.count} stored`);
      }
      const expected = expectedIn(room);
      const wrong = members.filter(
        (member) => member.room === room && member.socket.frames !== expected,
      );
      if (wrong.length > 0) {
        const counts = [...new Set(wrong.map((member) => member.socket.frames))].slice(0, 3);
        const seqs = stored
          ? ` (stored seqs up to ${stored.maxSeq}, room at ${stored.lastSeq})`
          : '';
        problems.push(
          `room ${room}: ${wrong.length} members got ${counts.join('/')} of ${expected}${seqs}`,
        );
      }
    }
    if (problems.length > 0) {
      throw new Error(`${server.kind} delivered wrongly: ${problems.slice(0, 5).join('; ')}`);
    }
    return {
      messages: sentPerRoom.reduce((a, b) => a + b, 0),
      deliveries: totalFrames(),
      failedAcks,
    };
  }

  return {
    offer,
    verify,
    close() {
      for (const member of members) member.socket.close();
    },
  };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
