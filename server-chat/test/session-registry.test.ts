import { randomUUID } from 'node:crypto';
import type { Session } from '@parley/server-kit';
import { createSessionRegistry } from '../src/sessions/session-registry';

const sessionOf = (jti: string): Session => ({
  userId: 1,
  username: 'ann',
  jti,
  exp: Math.floor(Date.now() / 1000) + 3_600,
});

/** A connection as the registry sees it: what ended it, and whether its set-up had finished. */
function connection() {
  const endings: { reason: string; afterSetUp: boolean }[] = [];
  let isSetUp = false;
  return {
    endings,
    holder: { end: (reason: string) => endings.push({ reason, afterSetUp: isSetUp }) },
    finishSetUp: () => (isSetUp = true),
  };
}

describe('the open connections of each token', () => {
  const seenRevocations = new Set<string>();
  const sessions = createSessionRegistry((jti) => seenRevocations.has(jti));
  afterAll(() => sessions.close());

  test('when a token is revoked, then its connections end and others stay', async () => {
    const [revoked, other] = [randomUUID(), randomUUID()];
    const first = connection();
    const second = connection();
    const unrelated = connection();
    sessions.track(sessionOf(revoked), first.holder);
    sessions.track(sessionOf(revoked), second.holder);
    sessions.track(sessionOf(other), unrelated.holder);
    await Promise.resolve();

    seenRevocations.add(revoked);
    sessions.revoke(revoked);

    expect([first.endings, second.endings, unrelated.endings]).toEqual([
      [{ reason: 'revoked', afterSetUp: false }],
      [{ reason: 'revoked', afterSetUp: false }],
      [],
    ]);
  });

  test('when the revocation arrived while the connection was being set up, then tracking it ends it once its set-up has run', async () => {
    const jti = randomUUID();
    // The handshake checked the token; its revocation arrived before the connection was tracked.
    seenRevocations.add(jti);
    sessions.revoke(jti);
    const late = connection();

    sessions.track(sessionOf(jti), late.holder);
    late.finishSetUp();
    await Promise.resolve();

    expect(late.endings).toEqual([{ reason: 'revoked', afterSetUp: true }]);
  });
});
