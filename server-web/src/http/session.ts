import {
  AppError,
  pickToken,
  SESSION_COOKIE,
  verifySession,
  type Session,
} from '@parley/server-kit';
import type { RevocationList } from '@parley/db';
import type { CookieOptions, Request, RequestHandler, Response } from 'express';

/** Reads the verified, unrevoked session of the request into res.locals, or answers 401. */
export function requireSession(
  secret: string,
  revocations: Pick<RevocationList, 'isRevoked'>,
): RequestHandler {
  return async (req, res, next) => {
    const session = verifySession(tokenOf(req) ?? '', secret);
    if (await revocations.isRevoked(session.jti)) {
      throw new AppError('unauthorized', 'Your session has ended, sign in again');
    }
    res.locals.session = session;
    next();
  };
}

export function tokenOf(req: Request): string | undefined {
  const cookies = req.cookies as Record<string, string | undefined>;
  return pickToken(req.get('authorization'), cookies[SESSION_COOKIE]);
}

export function sessionOf(res: Response): Session {
  const session = res.locals.session as Session | undefined;
  if (!session) throw new AppError('unauthorized', 'Sign in first');
  return session;
}

function cookieOptions(req: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: req.secure };
}

export function setSessionCookie(req: Request, res: Response, token: string, ttlSeconds: number) {
  res.cookie(SESSION_COOKIE, token, { ...cookieOptions(req), maxAge: ttlSeconds * 1000 });
}

export function clearSessionCookie(req: Request, res: Response) {
  res.clearCookie(SESSION_COOKIE, cookieOptions(req));
}
