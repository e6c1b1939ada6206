import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError } from './app-error';

export const SESSION_COOKIE = 'access_token';
// Pinned: a token that names any other algorithm (none, HS512, RS256…) is refused.
const ALGORITHM = 'HS256';

// jsonwebtoken turns a string secret into a key on every call, after first trying (and failing)
// to read it as a public key: a tenth of a REST request's CPU. A process has one secret.
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

export interface Session {
  userId: number;
  username: string;
  jti: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export function signSession(
  user: { id: number; username: string },
  secret: string,
  ttlSeconds: number,
): { token: string; session: Session } {
  const jti = randomUUID();
  const token = jwt.sign({ username: user.username }, keyOf(secret), {
    algorithm: ALGORITHM,
    subject: String(user.id),
    jwtid: jti,
    expiresIn: ttlSeconds,
  });
  const { exp } = jwt.decode(token) as { exp: number };
  return { token, session: { userId: user.id, username: user.username, jti, exp } };
}

/** Verifies signature, algorithm and expiry; throws AppError('unauthorized') otherwise. */
export function verifySession(token: string, secret: string): Session {
  let payload: jwt.JwtPayload;
  try {
    const decoded = jwt.verify(token, keyOf(secret), { algorithms: [ALGORITHM] });
    if (typeof decoded === 'string') throw new Error('string payload');
    payload = decoded;
  } catch {
    throw new AppError('unauthorized', 'Your session is missing or has expired, sign in again');
  }
  const userId = Number(payload.sub);
  const { username, jti, exp } = payload as { username?: unknown; jti?: unknown; exp?: unknown };
  if (
    !Number.isSafeInteger(userId) ||
    typeof username !== 'string' ||
    typeof jti !== 'string' ||
    typeof exp !== 'number'
  ) {
    throw new AppError('unauthorized', 'Your session is missing or has expired, sign in again');
  }
  return { userId, username, jti, exp };
}

/** The token of a request: the `Authorization: Bearer` header first, else the cookie. */
export function pickToken(
  authorization: string | undefined,
  cookieToken: string | undefined,
): string | undefined {
  const match = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  return match?.[1] ?? cookieToken;
}
