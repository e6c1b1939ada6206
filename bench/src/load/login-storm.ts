// Sign-ins as fast as the website service takes them: `concurrency` closed loops, each posting the
// next valid login as soon as its previous one is answered. A few per second at BCRYPT_COST 12,
// so fetch's per-request cost on the load core does not matter.
export interface Login {
  email: string;
  password: string;
}

export interface LoginStorm {
  /** performance.now() of every successful login, in order. */
  readonly successTimes: number[];
  /** Stops sending and waits for the logins in flight (so the server is quiet once it resolves). */
  stop(): Promise<{ attempts: number; ok: number; firstFailure?: string }>;
}

/** Success means 200 with a session token in the body. */
export function startLoginStorm(url: string, logins: Login[], concurrency: number): LoginStorm {
  if (logins.length === 0) throw new Error('startLoginStorm needs at least one login');
  let isRunning = true;
  let attempts = 0;
  let next = 0;
  let firstFailure: string | undefined;
  const successTimes: number[] = [];

  const loginOnce = async (login: Login) => {
    const response = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(login),
    });
    const body = (await response.json()) as { token?: unknown };
    if (response.status !== 200 || typeof body.token !== 'string') {
      throw new Error(`${login.email}: ${response.status} ${JSON.stringify(body)}`);
    }
  };

  const loop = async () => {
    while (isRunning) {
      // Round robin over more users than loops: no two logins in flight share an account.
      const login = logins[next++ % logins.length]!;
      attempts++;
      try {
        await loginOnce(login);
        successTimes.push(performance.now());
      } catch (error) {
        firstFailure ??= error instanceof Error ? error.message : String(error);
        // A server that is gone fails at once: do not spin.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);

  return {
    successTimes,
    async stop() {
      isRunning = false;
      await Promise.all(loops);
      return { attempts, ok: successTimes.length, ...(firstFailure ? { firstFailure } : {}) };
    },
  };
}
