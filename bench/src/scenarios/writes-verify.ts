// T8's exactly-once check of one level: every acked message stored once (and nothing else),
// every member given each stored message of its room once.
import type { Session } from './writes-level';

/**
 * Throws unless every acked message of this level is stored exactly once (and nothing else is)
 * and every member received each stored message of its room once.
 */
export async function verifyLevel(
  session: Session,
  tag: string,
  status: Uint8Array,
  maxIdBefore: number,
  framesBefore: number[][],
  hasFailedAcks: boolean,
): Promise<void> {
  const { server, shape, members } = session;
  const query = () =>
    server
      .db('messages')
      .where('id', '>', maxIdBefore)
      .where('client_id', 'like', `${tag}-%`)
      .select<{ room_id: number; client_id: string }[]>('room_id', 'client_id');
  let rows = await query();
  // A refused ack (A's deadline) may leave its message queued, committed later: wait for those.
  for (let stable = 0; hasFailedAcks && stable < 3;) {
    await delay(200);
    const again = await query();
    stable = again.length === rows.length ? stable + 1 : 0;
    rows = again;
  }
  const problems: string[] = [];
  const stored = new Uint8Array(status.length);
  const perRoom = new Array<number>(shape.rooms).fill(0);
  for (const row of rows) {
    const k = Number(row.client_id.slice(tag.length + 1));
    const room = server.roomIds.indexOf(row.room_id);
    if (!(k < status.length) || room !== k % shape.rooms) {
      problems.push(`${row.client_id} stored in room ${row.room_id}`);
      continue;
    }
    stored[k]!++;
    perRoom[room]!++;
  }
  status.forEach((value, k) => {
    if (stored[k]! > 1) problems.push(`${tag}-${k} stored ${stored[k]} times`);
    else if (value === 1 && stored[k] === 0) problems.push(`${tag}-${k} acked but not stored`);
  });
  const received = (room: number, index: number) =>
    members[room]![index]!.frames - framesBefore[room]![index]!;
  const isDelivered = () =>
    members.every((room, r) => room.every((_, index) => received(r, index) >= perRoom[r]!));
  await waitFor(isDelivered, 30_000, () => 'deliveries missing').catch((error: Error) =>
    problems.push(error.message),
  );
  members.forEach((room, r) =>
    room.forEach((_, index) => {
      if (received(r, index) !== perRoom[r]) {
        problems.push(`room ${r} member ${index}: ${received(r, index)} of ${perRoom[r]}`);
      }
    }),
  );
  if (problems.length > 0) {
    throw new Error(`${server.kind} ${shape.name} ${tag}: ${problems.slice(0, 5).join('; ')}`);
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Polls `condition` until it holds; throws after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: () => string) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms: ${what()}`);
    await delay(10);
  }
}
