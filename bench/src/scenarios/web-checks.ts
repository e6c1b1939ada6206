// Correctness of the website scenarios, checked before they are measured: a fast wrong answer
// must fail the run.
import type { Db } from '@parley/db';
import type { HttpTarget } from '../load/http-load';
import type { Login } from '../load/login-storm';
import { messageContent } from './web-seed';

async function getJson<T>(target: HttpTarget): Promise<T> {
  const response = await fetch(target.url + target.path, { headers: target.headers });
  if (response.status !== 200) {
    throw new Error(`${target.label}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as T;
}

/** The first page of a search for `q` is the first 20 matching names in the database's order. */
export async function checkSearch(db: Db, target: HttpTarget, q: string): Promise<void> {
  const expected = await db('chat_rooms')
    .where('name', 'like', `%${q}%`)
    .orderBy('name')
    .limit(20)
    .pluck<string[]>('name');
  const page = await getJson<{ rooms: { name: string }[]; nextCursor: string | null }>(target);
  const names = page.rooms.map((room) => room.name);
  if (expected.length < 20 || names.join() !== expected.join() || page.nextCursor === null) {
    throw new Error(`${target.label}: got ${names.join()}, expected ${expected.join()}`);
  }
}

/** A history page holds the 50 messages up to `lastSeq`, ascending, with their contents. */
export async function checkHistory(target: HttpTarget, lastSeq: number): Promise<void> {
  const page = await getJson<{ messages: { seq: number; content: string }[] }>(target);
  const isWrong =
    page.messages.length !== 50 ||
    page.messages.some(
      (message, index) =>
        message.seq !== lastSeq - 49 + index || message.content !== messageContent(message.seq),
    );
  if (isWrong) {
    const seqs = page.messages.map((message) => message.seq);
    throw new Error(`${target.label}: seqs ${seqs.join()}, expected ${lastSeq - 49}..${lastSeq}`);
  }
}

/** One sign-in answers 200 with the user, a cookie and a token that opens GET /api/auth/me. */
export async function checkLogin(url: string, login: Login): Promise<void> {
  const response = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(login),
  });
  const body = (await response.json()) as { user?: { email?: string }; token?: string };
  const me = await fetch(`${url}/api/auth/me`, {
    headers: { authorization: `Bearer ${body.token}` },
  });
  const meBody = (await me.json()) as { user?: { email?: string } };
  if (
    response.status !== 200 ||
    body.user?.email !== login.email ||
    !response.headers.get('set-cookie')?.includes('access_token=') ||
    me.status !== 200 ||
    meBody.user?.email !== login.email
  ) {
    throw new Error(`sign-in check failed: ${response.status} ${JSON.stringify(body)}`);
  }
}
