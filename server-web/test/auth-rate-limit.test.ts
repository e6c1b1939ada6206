import { performance } from 'node:perf_hooks';
import { startWebApp, uniqueName, type WebApp } from '../../test/support/web-app';
import { expectError, postJson, register } from './support';

const LOGIN_WINDOW_SECONDS = 15 * 60;

let app: WebApp;
beforeAll(async () => {
  app = await startWebApp();
});
afterAll(() => app.close());

const login = (
  target: WebApp,
  email: string,
  password: string,
  headers: Record<string, string> = {},
) => postJson(target, '/api/auth/login', { email, password }, headers);

/** Fails `count` sign-ins for `email` (or a new one each time), checking each is an ordinary 401. */
async function failLogins(
  target: WebApp,
  email: string | (() => string),
  count: number,
  headersOf: (attempt: number) => Record<string, string> = () => ({}),
): Promise<void> {
  for (let attempt = 1; attempt <= count; attempt++) {
    const address = typeof email === 'string' ? email : email();
    const response = await login(target, address, `wrong-password-${attempt}`, headersOf(attempt));
    expect({ attempt, status: response.status }).toEqual({ attempt, status: 401 });
  }
}

async function expectRateLimited(response: Response): Promise<void> {
  const retryAfter = response.headers.get('retry-after');
  await expectError(response, 429, 'rate_limited');
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThan(0);
  expect(Number(retryAfter)).toBeLessThanOrEqual(LOGIN_WINDOW_SECONDS);
  expect(response.headers.getSetCookie()).toEqual([]);
}

describe('Sign-in rate limit', () => {
  test('when an account fails 10 sign-ins from one IP, then the 11th is refused with 429 even with the right password', async () => {
    const { email, password } = await register(app);
    await failLogins(app, email, 10);

    const response = await login(app, email, password);

    await expectRateLimited(response);
  });

  test('when one account is locked out, then another account from the same IP can still sign in', async () => {
    const locked = await register(app);
    const other = await register(app);
    await failLogins(app, locked.email, 10);

    const response = await login(app, other.email, other.password);

    expect(response.status).toBe(200);
    await expectRateLimited(await login(app, locked.email, locked.password));
  });

  test('when a sign-in succeeds before the 10th failure, then the failures count again from zero', async () => {
    const { email, password } = await register(app);
    await failLogins(app, email, 9);
    expect((await login(app, email, password)).status).toBe(200);

    await failLogins(app, email, 9);
    const response = await login(app, email, password);

    expect(response.status).toBe(200);
  });

  test('when the guesses vary the email’s case and spacing, then they still count against the one account', async () => {
    const { email, password } = await register(app);
    const spellings = [
      email.toUpperCase(),
      ` ${email}`,
      email.replace(/^./, (c) => c.toUpperCase()),
    ];
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await login(app, spellings[attempt % spellings.length]!, `wrong-${attempt}`);
      expect({ attempt, status: response.status }).toEqual({ attempt, status: 401 });
    }

    const response = await login(app, email, password);

    await expectRateLimited(response);
  });

  test('when 40 wrong guesses for one account arrive at once, then only 10 are tried and the rest get 429', async () => {
    // A real bcrypt cost keeps the guesses in flight together, as an attacker's would be.
    const realistic = await startWebApp({ BCRYPT_COST: '10' });
    try {
      const { email, password } = await register(realistic);

      const statuses = await Promise.all(
        Array.from({ length: 40 }, (_, guess) =>
          login(realistic, email, `guess-${guess}`).then((response) => response.status),
        ),
      );

      expect(statuses.filter((status) => status === 401)).toHaveLength(10);
      expect(statuses.filter((status) => status === 429)).toHaveLength(30);
      await expectRateLimited(await login(realistic, email, password));
    } finally {
      await realistic.close();
    }
  });

  test('when behind a trusted proxy, then an account locked out from one client IP can still sign in from another', async () => {
    const proxied = await startWebApp({ TRUST_PROXY: '1' });
    try {
      const { email, password } = await register(proxied);
      const attacker = { 'x-forwarded-for': '203.0.113.10' };
      await failLogins(proxied, email, 10, () => attacker);

      const fromOwner = await login(proxied, email, password, {
        'x-forwarded-for': '198.51.100.7',
      });

      expect(fromOwner.status).toBe(200);
      await expectRateLimited(await login(proxied, email, password, attacker));
    } finally {
      await proxied.close();
    }
  });

  test('when no proxy is trusted, then a forged X-Forwarded-For does not escape the limit', async () => {
    const { email, password } = await register(app);
    await failLogins(app, email, 10, (attempt) => ({ 'x-forwarded-for': `203.0.113.${attempt}` }));

    const response = await login(app, email, password, { 'x-forwarded-for': '198.51.100.7' });

    await expectRateLimited(response);
  });

  test('when the limiter lives in Redis, then failures on one node lock the account on another', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:6379' };
    const [nodeA, nodeB] = await Promise.all([startWebApp(env), startWebApp(env)]);
    try {
      // A unique email keeps the keys of this run apart from earlier runs on the same Redis.
      const { email, password } = await register(nodeA, {
        email: `${uniqueName('rl')}@example.org`,
      });
      await failLogins(nodeA, email, 10);

      const response = await login(nodeB, email, password);

      await expectRateLimited(response);
    } finally {
      await Promise.all([nodeA.close(), nodeB.close()]);
    }
  });
});

describe('Sign-in timing', () => {
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

  async function timed(request: () => Promise<Response>): Promise<number> {
    const start = performance.now();
    const response = await request();
    const elapsed = performance.now() - start;
    expect(response.status).toBe(401);
    return elapsed;
  }

  test('when the email is unknown, then the answer takes about as long as for a wrong password', async () => {
    // A real cost, so that a skipped bcrypt comparison would stand out clearly.
    const realistic = await startWebApp({ BCRYPT_COST: '10' });
    try {
      const { email } = await register(realistic);
      const wrongPasswordMs: number[] = [];
      const unknownEmailMs: number[] = [];

      for (let round = 0; round < 5; round++) {
        wrongPasswordMs.push(await timed(() => login(realistic, email, 'not-the-password')));
        const unknown = `${uniqueName('nobody')}@example.org`;
        unknownEmailMs.push(await timed(() => login(realistic, unknown, 'not-the-password')));
      }

      const medians = {
        wrongPassword: median(wrongPasswordMs),
        unknownEmail: median(unknownEmailMs),
      };
      expect(medians.unknownEmail).toBeGreaterThanOrEqual(0.5 * medians.wrongPassword);
      expect(medians.unknownEmail).toBeLessThanOrEqual(2 * medians.wrongPassword);
    } finally {
      await realistic.close();
    }
  });
});

describe('Sign-in failures per address', () => {
  // The product's own limit (60 failures a minute per address); the suite's app raises it.
  const startProxied = () =>
    startWebApp({ TRUST_PROXY: '1' }, { requestsPerMinute: 10_000, messagesPerSecond: 1_000 });
  const unknownEmail = () => `${uniqueName('nobody')}@example.org`;

  test('when one address fails 60 sign-ins across accounts, then its next is refused with 429 and other addresses still sign in', async () => {
    const proxied = await startProxied();
    try {
      const victim = await register(proxied);
      const sprayer = { 'x-forwarded-for': '203.0.113.20' };
      await failLogins(proxied, unknownEmail, 60, () => sprayer);

      const fromSprayer = await login(proxied, victim.email, victim.password, sprayer);
      const fromElsewhere = await login(proxied, victim.email, victim.password, {
        'x-forwarded-for': '198.51.100.8',
      });

      await expectRateLimited(fromSprayer);
      expect(fromElsewhere.status).toBe(200);
    } finally {
      await proxied.close();
    }
  });

  test('when an address signs in with a right password between failures, then its successes do not count and do not wipe its failures', async () => {
    const proxied = await startProxied();
    try {
      const own = await register(proxied);
      const address = { 'x-forwarded-for': '203.0.113.21' };
      for (let attempt = 1; attempt <= 70; attempt++) {
        const response = await login(proxied, own.email, own.password, address);
        expect({ attempt, status: response.status }).toEqual({ attempt, status: 200 });
      }
      await failLogins(proxied, unknownEmail, 59, () => address);
      expect((await login(proxied, own.email, own.password, address)).status).toBe(200);
      await failLogins(proxied, unknownEmail, 1, () => address);

      await expectRateLimited(await login(proxied, own.email, own.password, address));
    } finally {
      await proxied.close();
    }
  });
});
