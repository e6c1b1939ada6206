import { uniqueName, type WebApp } from '../../test/support/web-app';

export interface Account {
  email: string;
  username: string;
  password: string;
}

export interface Registered extends Account {
  user: { id: number; email: string; username: string };
  /** `access_token=<jwt>`, ready for a Cookie header. */
  cookie: string;
  token: string;
}

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flags such as HttpOnly map to ''. */
  attributes: Map<string, string>;
}

/** Credentials no other test uses; `overrides` replaces any of them. */
export function newAccount(overrides: Partial<Account> = {}): Account {
  const username = uniqueName('u');
  return { email: `${username}@example.org`, username, password: 'correct-horse-1', ...overrides };
}

export function postJson(
  app: WebApp,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** GET /api/auth/me with whatever credentials the caller gives in `headers`. */
export function getMe(app: WebApp, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${app.url}/api/auth/me`, { headers });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The `access_token` cookie the response sets; fails the test when there is none. */
export function sessionCookieOf(response: Response): SetCookie {
  const cookies = response.headers.getSetCookie().map(parseSetCookie);
  const cookie = cookies.find((candidate) => candidate.name === 'access_token');
  if (!cookie) throw new Error(`no access_token cookie in ${JSON.stringify(cookies)}`);
  return cookie;
}

function parseSetCookie(header: string): SetCookie {
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
  const separator = pair.indexOf('=');
  return {
    name: pair.slice(0, separator),
    value: pair.slice(separator + 1),
    attributes: new Map(
      attributes.map((attribute) => {
        const [key = '', ...value] = attribute.split('=');
        return [key.toLowerCase(), value.join('=')];
      }),
    ),
  };
}

/** Registers through the API (expecting 201) and returns the session it got. */
export async function register(
  app: WebApp,
  overrides: Partial<Account> = {},
  headers: Record<string, string> = {},
): Promise<Registered> {
  const account = newAccount(overrides);
  const response = await postJson(app, '/api/auth/register', account, headers);
  if (response.status !== 201) {
    throw new Error(`register answered ${response.status}: ${await response.text()}`);
  }
  const { user } = (await response.json()) as { user: Registered['user'] };
  const token = sessionCookieOf(response).value;
  return { ...account, user, token, cookie: `access_token=${token}` };
}

/** Reads a JWT's payload without verifying it (tests only look, the server decides). */
export function jwtPayload(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * Asserts the contract's error shape: `{error: {code, message, details?}}` with the expected status
 * and code, and nothing that looks like a stack trace or an internal error text. Returns the body.
 */
export async function expectError(
  response: Response,
  status: number,
  code: string,
): Promise<{ error: { code: string; message: string; details?: unknown } }> {
  const text = await response.text();
  // The body rides along so that a wrong status shows what the server said.
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error: { code: string; message: string; details?: unknown } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual(
    expect.objectContaining({ code, message: expect.stringMatching(/\S/) as string }),
  );
  expect(Object.keys(body.error).every((key) => ['code', 'message', 'details'].includes(key))).toBe(
    true,
  );
  expect(text).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+|SyntaxError|stack/);
  return body;
}

/** Polls `check` until it holds; fails with the last value after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met, last value: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}
