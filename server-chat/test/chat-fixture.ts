import type { Message, Room } from '@parley/contracts';
import type { MessageRow, RoomRow } from '@parley/db';
import type { WebApp } from '../../test/support/web-app';
import {
  api,
  createRoom,
  postMessage,
  signUp,
  type Account,
  type ApiClient,
} from '../../server-web/test/rest-client';

/** A signed-in user: their session and a REST client acting as them. */
export interface Member {
  account: Account;
  username: string;
  token: string;
  rest: ApiClient;
}

export async function signUpMember(app: WebApp, prefix = 'user'): Promise<Member> {
  const account = await signUp(app, prefix);
  return {
    account,
    username: account.user.username,
    token: account.token,
    rest: api(app, account.cookie),
  };
}

/** A new room owned by `owner`. */
export function roomOf(owner: Member, name?: string): Promise<Room> {
  return createRoom(owner.rest, name);
}

/** The room's stored messages, ordered by seq. */
export function rowsOf(app: WebApp, roomId: number): Promise<MessageRow[]> {
  return app.deps.db<MessageRow>('messages').where({ room_id: roomId }).orderBy('seq');
}

export async function roomRowOf(app: WebApp, roomId: number): Promise<RoomRow | undefined> {
  return app.deps.db<RoomRow>('chat_rooms').where({ id: roomId }).first();
}

export const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);

export const seqsOf = (messages: { seq: number }[]): number[] => messages.map((m) => m.seq);

/**
 * Posts `count` messages over REST (`m1`, `m2`, …), 20 at a time: writers of one room queue on
 * its row lock, and a larger crowd would only wait on the connection pool.
 */
export async function postMessages(
  author: Member,
  roomName: string,
  count: number,
): Promise<Message[]> {
  const posted: Message[] = [];
  for (let from = 1; from <= count; from += 20) {
    const batch = range(from, Math.min(from + 19, count));
    posted.push(
      ...(await Promise.all(batch.map((n) => postMessage(author.rest, roomName, `m${n}`)))),
    );
  }
  return posted.sort((a, b) => a.seq - b.seq);
}

/**
 * Arrange-only shortcut for large rooms: writes `count` messages (`m1`, `m2`, …) straight into
 * the tables, seqs 1..count, as the service would have (one transaction, last_seq moved too).
 */
export async function seedMessages(
  app: WebApp,
  author: Member,
  room: Room,
  count: number,
): Promise<void> {
  await app.deps.db.transaction(async (tx) => {
    await tx('messages').insert(
      range(1, count).map((seq) => ({
        room_id: room.id,
        seq,
        user_id: author.account.user.id,
        username: author.username,
        content: `m${seq}`,
      })),
    );
    await tx('chat_rooms').where({ id: room.id }).update({ last_seq: count });
  });
}
