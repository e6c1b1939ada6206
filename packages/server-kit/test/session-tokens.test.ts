import { signSession, verifySession } from '../src/session-tokens';

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!';
const user = { id: 7, username: 'ada' };

/** The error code a verification throws, or 'accepted'. */
function outcome(token: string, secret = SECRET): string {
  try {
    verifySession(token, secret);
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? 'unknown';
  }
}

describe('session tokens', () => {
  afterEach(() => jest.useRealTimers());

  test('when a token verified before has expired, then it is refused', () => {
    jest.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') });
    const { token, session } = signSession(user, SECRET, 60);
    expect(verifySession(token, SECRET)).toEqual(session);

    jest.setSystemTime(new Date('2026-11-27T10:00:59Z'));
    expect(verifySession(token, SECRET)).toEqual(session);
    jest.setSystemTime(new Date('2026-11-27T10:01:00Z'));
    expect(outcome(token, SECRET)).toBe('unauthorized');
  });

  test('when a verified token is altered or checked with another secret, then it is refused', () => {
    const { token } = signSession(user, SECRET, 60);
    verifySession(token, SECRET);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: '8' }),
    ).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');

    for (const altered of [`${header}.${forged}.${signature}`, `${header}.${payload}.${flipped}`]) {
      expect(outcome(altered, SECRET)).toBe('unauthorized');
    }
    expect(outcome(token, `${SECRET}-other`)).toBe('unauthorized');
  });
});
