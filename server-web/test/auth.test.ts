import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import bcrypt from 'bcrypt';
import jwt from 'jsonwebtoken';
import { NGINX_TEMPLATE } from '../../scripts/render-nginx';
import { startWebApp, TEST_SECRET, uniqueName, type WebApp } from '../../test/support/web-app';
import {
  expectError,
  getMe,
  newAccount,
  postJson,
  register,
  sessionCookieOf,
  type Account,
} from './support';

let app: WebApp;
beforeAll(async () => {
  app = await startWebApp();
});
afterAll(() => app.close());

const usersWithEmail = (target: WebApp, email: string) =>
  target.deps.db('users').whereRaw('lower(email) = lower(?)', [email]);
const usersWithUsername = (target: WebApp, username: string) =>
  target.deps.db('users').whereRaw('lower(username) = lower(?)', [username]);

/** `length` random ASCII letters and digits: short names that still do not collide. */
function randomName(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** An email of exactly `length` characters (near 254), each part within its RFC 5321 size. */
function emailOfLength(length: number): string {
  const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.org`;
  const local = uniqueName('e');
  return `${local}${'x'.repeat(length - local.length - domain.length - 1)}@${domain}`;
}

describe('POST /api/auth/register', () => {
  test('when a person registers, then they get their user, a session cookie and a hashed password is stored', async () => {
    const account = newAccount();

    const response = await postJson(app, '/api/auth/register', account);

    expect(response.status).toBe(201);
    const body = (await response.json()) as { user: { id: number } };
    expect(body).toEqual({
      user: { id: expect.any(Number) as number, email: account.email, username: account.username },
    });
    const cookie = sessionCookieOf(response);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Lax');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('secure')).toBe(false);
    const claims = jwt.verify(cookie.value, TEST_SECRET, {
      algorithms: ['HS256'],
    }) as jwt.JwtPayload;
    expect(claims).toEqual({
      sub: String(body.user.id),
      username: account.username,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
      iat: expect.any(Number) as number,
      exp: claims.iat! + 12 * 3600,
    });
    expect(cookie.attributes.get('max-age')).toBe(String(12 * 3600));
    const rows = await usersWithEmail(app, account.email);
    expect(rows).toEqual([
      expect.objectContaining({ id: body.user.id, username: account.username }),
    ]);
    const hash = (rows[0] as { hashed_password: string }).hashed_password;
    expect(hash).toMatch(/^\$2[aby]\$/);
    expect(hash).not.toContain(account.password);
    await expect(bcrypt.compare(account.password, hash)).resolves.toBe(true);
  });

  test('when served over HTTPS behind a trusted proxy, then the session cookie is Secure', async () => {
    const proxied = await startWebApp({ TRUST_PROXY: '1' });
    try {
      const response = await postJson(proxied, '/api/auth/register', newAccount(), {
        'x-forwarded-proto': 'https',
      });

      expect(response.status).toBe(201);
      expect(sessionCookieOf(response).attributes.has('secure')).toBe(true);
    } finally {
      await proxied.close();
    }
  });

  test('when X-Forwarded-Proto claims HTTPS but no proxy is trusted, then the cookie is not Secure', async () => {
    const response = await postJson(app, '/api/auth/register', newAccount(), {
      'x-forwarded-proto': 'https',
    });

    expect(response.status).toBe(201);
    expect(sessionCookieOf(response).attributes.has('secure')).toBe(false);
  });

  test('when the email is taken in another case, then 409 email_taken and no second account', async () => {
    const existing = await register(app);
    const attempt = newAccount({ email: existing.email.toUpperCase() });

    const response = await postJson(app, '/api/auth/register', attempt);

    await expectError(response, 409, 'email_taken');
    expect(await usersWithEmail(app, existing.email)).toHaveLength(1);
    expect(await usersWithUsername(app, attempt.username)).toHaveLength(0);
  });

  test('when the username is taken in another case, then 409 username_taken and no second account', async () => {
    const existing = await register(app);
    const attempt = newAccount({ username: existing.username.toUpperCase() });

    const response = await postJson(app, '/api/auth/register', attempt);

    await expectError(response, 409, 'username_taken');
    expect(await usersWithUsername(app, existing.username)).toHaveLength(1);
    expect(await usersWithEmail(app, attempt.email)).toHaveLength(0);
  });

  const invalid: [string, () => Partial<Account>, string][] = [
    ['a malformed email', () => ({ email: 'not-an-email' }), 'email'],
    ['an email of 255 characters', () => ({ email: emailOfLength(255) }), 'email'],
    ['a username of 2 characters', () => ({ username: randomName(2) }), 'username'],
    ['a username of 33 characters', () => ({ username: randomName(33) }), 'username'],
    ['a username with a space', () => ({ username: `${randomName(8)} x` }), 'username'],
    ['a username with an @', () => ({ username: `${randomName(8)}@x` }), 'username'],
    ['a username of combining marks alone', () => ({ username: '\u0301\u0302\u0303' }), 'username'],
    ['a password of 7 characters', () => ({ password: 'short-7' }), 'password'],
    // 37 characters, 73 bytes: a limit counted in characters would let it through.
    ['a password of 73 UTF-8 bytes', () => ({ password: `${'é'.repeat(36)}a` }), 'password'],
  ];
  test.each(invalid)(
    'when registering with %s, then 400 validation_failed names the field and nothing is stored',
    async (_case, overrides, field) => {
      const account = newAccount(overrides());

      const response = await postJson(app, '/api/auth/register', account);

      const body = await expectError(response, 400, 'validation_failed');
      expect(body.error.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: field })]),
      );
      expect(await usersWithEmail(app, account.email)).toHaveLength(0);
      expect(await usersWithUsername(app, account.username)).toHaveLength(0);
    },
  );

  test('when a username differs from a taken one only in Unicode case or form, then 409 username_taken', async () => {
    const existing = await register(app, { username: `Đặng_Văn.${randomName(6)}` });
    const variants = [existing.username.toUpperCase(), existing.username.normalize('NFD')];

    const responses = await Promise.all(
      variants.map((username) => postJson(app, '/api/auth/register', newAccount({ username }))),
    );

    for (const response of responses) await expectError(response, 409, 'username_taken');
    expect(await usersWithUsername(app, existing.username)).toHaveLength(1);
  });

  const valid: [string, () => Partial<Account>][] = [
    ['an email of 254 characters', () => ({ email: emailOfLength(254) })],
    ['a username of 3 characters', () => ({ username: randomName(3) })],
    ['a username of 32 characters', () => ({ username: randomName(32) })],
    ['a Vietnamese username', () => ({ username: `Đặng_Văn.${randomName(6)}` })],
    ['a Hindi username (letters with their marks)', () => ({ username: `हिन्दी_${randomName(6)}` })],
    ['a password of 8 characters', () => ({ password: 'eight-ch' })],
    ['a password of 72 UTF-8 bytes', () => ({ password: 'é'.repeat(36) })],
  ];
  test.each(valid)(
    'when registering with %s, then the account is created and can sign in',
    async (_case, overrides) => {
      const account = newAccount(overrides());

      const response = await postJson(app, '/api/auth/register', account);
      const login = await postJson(app, '/api/auth/login', {
        email: account.email,
        password: account.password,
      });

      expect(response.status).toBe(201);
      expect(await usersWithEmail(app, account.email)).toEqual([
        expect.objectContaining({ email: account.email, username: account.username }),
      ]);
      expect(login.status).toBe(200);
    },
  );

  test('when the body is not sent as JSON, then 400 validation_failed with details', async () => {
    const account = newAccount();

    const response = await fetch(`${app.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(account),
    });

    const body = await expectError(response, 400, 'validation_failed');
    expect(body.error.details).toBeDefined();
    expect(await usersWithEmail(app, account.email)).toHaveLength(0);
  });

  test('when the JSON is malformed, then 400 invalid_json', async () => {
    const response = await fetch(`${app.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": "a@example.org", "username": ',
    });

    await expectError(response, 400, 'invalid_json');
  });

  test('when the body is larger than 64 KiB, then 413 payload_too_large and nothing is stored', async () => {
    const account = newAccount();

    const response = await postJson(app, '/api/auth/register', {
      ...account,
      padding: 'x'.repeat(64 * 1024),
    });

    await expectError(response, 413, 'payload_too_large');
    expect(await usersWithEmail(app, account.email)).toHaveLength(0);
  });

  test('when the body is just under 64 KiB, then it is read', async () => {
    const account = newAccount();

    const response = await postJson(app, '/api/auth/register', {
      ...account,
      padding: 'x'.repeat(63 * 1024),
    });

    expect(response.status).toBe(201);
    expect(await usersWithEmail(app, account.email)).toHaveLength(1);
  });
});

describe('Origin checks', () => {
  test('when a foreign site posts a sign-up, then 403 forbidden_origin and no user is created', async () => {
    const account = newAccount();

    const response = await postJson(app, '/api/auth/register', account, {
      origin: 'https://evil.example',
    });

    await expectError(response, 403, 'forbidden_origin');
    expect(await usersWithEmail(app, account.email)).toHaveLength(0);
  });

  test('when a foreign site posts a sign-in, then 403 forbidden_origin and no cookie is set', async () => {
    const { email, password } = await register(app);

    const response = await postJson(
      app,
      '/api/auth/login',
      { email, password },
      { origin: 'https://evil.example' },
    );

    await expectError(response, 403, 'forbidden_origin');
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  test('when the app posts from its own origin, then the sign-up succeeds', async () => {
    const account = newAccount();

    const response = await postJson(app, '/api/auth/register', account, { origin: app.url });

    expect(response.status).toBe(201);
    expect(await usersWithEmail(app, account.email)).toHaveLength(1);
  });

  test('when ALLOWED_ORIGINS is set, then only those origins may post, not the serving one', async () => {
    const configured = await startWebApp({ ALLOWED_ORIGINS: 'https://chat.example' });
    try {
      const allowed = newAccount();
      const ownOrigin = newAccount();

      const fromAllowed = await postJson(configured, '/api/auth/register', allowed, {
        origin: 'https://chat.example',
      });
      const fromOwn = await postJson(configured, '/api/auth/register', ownOrigin, {
        origin: configured.url,
      });

      expect(fromAllowed.status).toBe(201);
      await expectError(fromOwn, 403, 'forbidden_origin');
      expect(await usersWithEmail(configured, allowed.email)).toHaveLength(1);
      expect(await usersWithEmail(configured, ownOrigin.email)).toHaveLength(0);
    } finally {
      await configured.close();
    }
  });

  test('when a foreign origin makes a GET, then it is not refused', async () => {
    const { user, cookie } = await register(app);

    const response = await getMe(app, { cookie, origin: 'https://evil.example' });

    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { id: number } }).user.id).toBe(user.id);
  });
});

describe('Response headers', () => {
  test('when the API answers, then it sends helmet headers and does not advertise Express', async () => {
    const responses = [await postJson(app, '/api/auth/register', newAccount()), await getMe(app)];

    for (const response of responses) {
      expect(response.headers.get('x-powered-by')).toBeNull();
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toContain("object-src 'none'");
    }
    expect(responses.map((response) => response.status)).toEqual([201, 401]);
  });

  test("when the service answers without nginx in front (npm start), then its page policy is nginx's: never framed, nothing from elsewhere", async () => {
    const directives = (policy: string) => policy.split(';').map((directive) => directive.trim());
    const nginxPolicy = /add_header Content-Security-Policy "([^"]+)"/.exec(
      readFileSync(NGINX_TEMPLATE, 'utf8'),
    )![1]!;

    const response = await getMe(app);

    expect(directives(response.headers.get('content-security-policy')!)).toEqual(
      directives(nginxPolicy),
    );
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });
});
