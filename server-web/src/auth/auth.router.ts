import { parseInput } from '@parley/server-kit';
import { loginBodySchema, registerBodySchema } from '@parley/contracts';
import { verifySession } from '@parley/server-kit';
import { Router } from 'express';
import type { AppDeps } from '../deps';
import {
  clearSessionCookie,
  requireSession,
  sessionOf,
  setSessionCookie,
  tokenOf,
} from '../http/session';
import { createAuthService } from './auth.service';

export function authRouter(deps: AppDeps): Router {
  const auth = createAuthService(deps);
  const { jwtSecret, jwtTtlSeconds } = deps.config;
  const router = Router();
  auth
    .warmUp()
    .catch((error: unknown) => deps.logger.warn({ err: error }, 'bcrypt warm-up failed'));

  router.post('/register', async (req, res) => {
    await deps.requestLimiter(`register|${req.ip}`);
    const { user, token } = await auth.register(parseInput(registerBodySchema, req.body));
    setSessionCookie(req, res, token, jwtTtlSeconds);
    res.status(201).json({ user });
  });

  router.post('/login', async (req, res) => {
    const { user, token } = await auth.login(parseInput(loginBodySchema, req.body), req.ip ?? '');
    setSessionCookie(req, res, token, jwtTtlSeconds);
    res.json({ user, token });
  });

  // Always succeeds: signing out of an already-ended session leaves the client signed out too.
  router.post('/logout', async (req, res) => {
    const token = tokenOf(req);
    const session = token ? tryVerify(token, jwtSecret) : undefined;
    if (session) await auth.logout(session);
    clearSessionCookie(req, res);
    res.status(204).end();
  });

  router.get('/me', requireSession(jwtSecret, deps.revocations), async (_req, res) => {
    res.json({ user: await auth.me(sessionOf(res)) });
  });

  return router;
}

function tryVerify(token: string, secret: string) {
  try {
    return verifySession(token, secret);
  } catch {
    return undefined;
  }
}
