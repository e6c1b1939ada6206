import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { listenEvents, type CommittedEvent } from '@parley/db';
import jwt from 'jsonwebtoken';
import { startWebApp, TEST_SECRET, uniqueName, type WebApp } from '../../test/support/web-app';
import {
  bearer,
  expectError,
  getMe,
  jwtPayload,
  postJson,
  register,
  sessionCookieOf,
  type Registered,
} from './support';

let app: WebApp;
beforeAll(async () => {
  app = await startWebApp();
});
afterAll(() => app.close());

const EVENT_WAIT_MS = 5_000;

/** Listens for committed events; `next()` resolves with the first match, or fails after a while. */
async function watchEvents(matches: (event: CommittedEvent) => boolean) {
  let found: CommittedEvent | undefined;
  let wake = () => {};
  const listener = await listenEvents({
    databaseUrl: process.env.TEST_DATABASE_URL!,
    onEvent: (event) => {
      if (found || !matches(event)) return;
      found = event;
      wake();
    },
  });
  return {
    next: () =>
      new Promise<CommittedEvent>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching event within ${EVENT_WAIT_MS} ms`)),
          EVENT_WAIT_MS,
        );
        wake = () => {
          clearTimeout(timer);
          resolve(found!);
        };
        if (found) wake();
      }),
    close: () => listener.close(),
  };
}

const logout = (headers: Record<string, string> = {}) =>
  postJson(app, '/api/auth/logout', {}, headers);

describe('POST /api/auth/login', () => {
  test('when the password is right, then 200 with the user and a token that works as a Bearer token', async () => {
    const { user, email, password } = await register(app);

    const response = await postJson(app, '/api/auth/login', { email, password });

    expect(response.status).toBe(200);
    const body = (await response.json()) as { user: unknown; token: string };
    expect(body).toEqual({ user, token: expect.any(String) as string });
    expect(sessionCookieOf(response).value).toBe(body.token);
    const me = await getMe(app, bearer(body.token));
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ user });
  });

  test('when the email is typed in another case, then the same user signs in', async () => {
    const { user, email, password } = await register(app);

    const response = await postJson(app, '/api/auth/login', {
      email: email.toUpperCase(),
      password,
    });

    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: unknown }).user).toEqual(user);
  });

  test.each(['NFD', 'NFC'] as const)(
    'when the password is typed with accents composed differently (%s at sign-in, NFD at sign-up), then the same user signs in',
    async (form) => {
      const password = 'mật-khẩu-bí-mật'.normalize('NFD');
      const { user, email } = await register(app, { password });

      const response = await postJson(app, '/api/auth/login', {
        email,
        password: password.normalize(form),
      });

      expect(response.status).toBe(200);
      expect(((await response.json()) as { user: unknown }).user).toEqual(user);
    },
  );

  test('when the password signed in with is longer than 72 bytes, then it is refused even though bcrypt would read only its first 72', async () => {
    const password = 'p'.repeat(72);
    const { email } = await register(app, { password });

    const longer = await postJson(app, '/api/auth/login', { email, password: `${password}EXTRA` });
    const exact = await postJson(app, '/api/auth/login', { email, password });

    await expectError(longer, 401, 'invalid_credentials');
    expect(exact.status).toBe(200);
  });

  test('when the password is wrong or the email unknown, then both get the same 401 invalid_credentials', async () => {
    const { email } = await register(app);

    const wrongPassword = await postJson(app, '/api/auth/login', { email, password: 'not-it-123' });
    const unknownEmail = await postJson(app, '/api/auth/login', {
      email: `${uniqueName('nobody')}@example.org`,
      password: 'not-it-123',
    });

    const wrongBody = await expectError(wrongPassword, 401, 'invalid_credentials');
    const unknownBody = await expectError(unknownEmail, 401, 'invalid_credentials');
    expect(unknownBody).toEqual(wrongBody);
    expect(wrongPassword.headers.getSetCookie()).toEqual([]);
    expect(unknownEmail.headers.getSetCookie()).toEqual([]);
  });
});

describe('GET /api/auth/me', () => {
  test('when signed in with the cookie, then 200 with the own user including the email', async () => {
    const { user, cookie, email } = await register(app);

    const response = await getMe(app, { cookie });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      user: { id: user.id, email, username: user.username },
    });
  });

  test('when there is no token, then 401 unauthorized', async () => {
    const response = await getMe(app);

    await expectError(response, 401, 'unauthorized');
  });
});

describe('POST /api/auth/logout', () => {
  test('when a signed-in person logs out, then 204, the cookie is cleared and the token is revoked for every service', async () => {
    const { user, cookie, token } = await register(app);
    const jti = jwtPayload(token).jti as string;
    const events = await watchEvents(
      (event) => event.type === 'token_revoked' && event.jti === jti,
    );

    try {
      const response = await logout({ cookie });

      expect(response.status).toBe(204);
      const cleared = sessionCookieOf(response);
      expect(cleared.value).toBe('');
      expect(cleared.attributes.get('path')).toBe('/');
      expect(Date.parse(cleared.attributes.get('expires')!)).toBeLessThan(Date.now());
      await expect(events.next()).resolves.toEqual({
        type: 'token_revoked',
        jti,
        userId: user.id,
        exp: jwtPayload(token).exp,
      });
    } finally {
      await events.close();
    }
    await expectError(await getMe(app, { cookie }), 401, 'unauthorized');
    await expectError(await getMe(app, bearer(token)), 401, 'unauthorized');
    const rows = await app.deps.db('revoked_tokens').where({ jti });
    expect(rows).toEqual([
      {
        jti,
        user_id: user.id,
        expires_at: new Date((jwtPayload(token).exp as number) * 1000),
      },
    ]);
  });

  test('when a script logs out with its Bearer token, then that token is revoked', async () => {
    const { email, password } = await register(app);
    const login = await postJson(app, '/api/auth/login', { email, password });
    const { token } = (await login.json()) as { token: string };

    const response = await logout(bearer(token));

    expect(response.status).toBe(204);
    await expectError(await getMe(app, bearer(token)), 401, 'unauthorized');
    const jti = jwtPayload(token).jti as string;
    expect(await app.deps.db('revoked_tokens').where({ jti })).toHaveLength(1);
  });

  test('when one session logs out, then the same user’s other sessions stay signed in', async () => {
    const { email, password, cookie } = await register(app);
    const other = (await (await postJson(app, '/api/auth/login', { email, password })).json()) as {
      token: string;
    };

    await logout({ cookie });

    expect((await getMe(app, bearer(other.token))).status).toBe(200);
    const otherJti = jwtPayload(other.token).jti as string;
    expect(await app.deps.db('revoked_tokens').where({ jti: otherJti })).toHaveLength(0);
  });

  test.each([
    ['no session', {}],
    ['an invalid token', bearer('not-a-jwt')],
  ])(
    'when logging out with %s, then it still answers 204 and clears the cookie',
    async (_case, headers) => {
      const response = await logout(headers);

      expect(response.status).toBe(204);
      expect(sessionCookieOf(response).value).toBe('');
    },
  );
});

describe('Forged tokens on GET /api/auth/me', () => {
  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const claimsOf = (user: Registered['user']) => ({
    sub: String(user.id),
    username: user.username,
    jti: randomUUID(),
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
  });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  test('when a token is made like the server makes it, then it is accepted (the forgeries below differ only as named)', async () => {
    const { user } = await register(app);
    const token = jwt.sign(claimsOf(user), TEST_SECRET, { algorithm: 'HS256' });

    const response = await getMe(app, bearer(token));

    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { id: number } }).user.id).toBe(user.id);
  });

  const forgeries: [string, (victim: Registered, other: Registered) => string][] = [
    [
      'alg none (unsigned, with a real payload)',
      ({ token }) => `${base64url({ alg: 'none', typ: 'JWT' })}.${token.split('.')[1]}.`,
    ],
    [
      'HS512 with the right secret',
      ({ user }) => jwt.sign(claimsOf(user), TEST_SECRET, { algorithm: 'HS512' }),
    ],
    [
      'RS256 with a generated RSA key',
      ({ user }) => jwt.sign(claimsOf(user), privateKey, { algorithm: 'RS256' }),
    ],
    [
      'HS256 with a wrong secret',
      ({ user }) => jwt.sign(claimsOf(user), `${TEST_SECRET}-not`, { algorithm: 'HS256' }),
    ],
    [
      'an expired token with the right secret',
      ({ user }) =>
        jwt.sign(
          { ...claimsOf(user), iat: nowSeconds() - 7200, exp: nowSeconds() - 60 },
          TEST_SECRET,
          { algorithm: 'HS256' },
        ),
    ],
    [
      'a payload changed to another user under the original signature',
      ({ token }, other) => {
        const [header, payload, signature] = token.split('.');
        const tampered = { ...jwtPayload(`${header}.${payload}`), sub: String(other.user.id) };
        return `${header}.${base64url(tampered)}.${signature}`;
      },
    ],
    ['a garbage string', () => 'garbage.not-a.token'],
    [
      'a token without jti',
      ({ user }) => {
        const claims: Partial<ReturnType<typeof claimsOf>> = claimsOf(user);
        delete claims.jti;
        return jwt.sign(claims, TEST_SECRET, { algorithm: 'HS256' });
      },
    ],
  ];
  test.each(forgeries)('when the token is %s, then 401 unauthorized', async (_case, forge) => {
    const victim = await register(app);
    const other = await register(app);
    const token = forge(victim, other);

    const response = await getMe(app, bearer(token));

    const body = await expectError(response, 401, 'unauthorized');
    expect(JSON.stringify(body)).not.toContain(victim.email);
    expect(JSON.stringify(body)).not.toContain(other.email);
  });
});
