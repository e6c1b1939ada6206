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

/** Tokens this process verified, by secret: the same bytes verify the same way until they expire. */
const verified = new Map<string, Map<string, Session>>();
/** Enough for every session active on a node at once; the oldest go first beyond it. */
const VERIFIED_MAX = 10_000;

const unauthorized = () =>
  new AppError('unauthorized', 'Your session is missing or has expired, sign in again');

/**
 * Verifies signature, algorithm and expiry; throws AppError('unauthorized') otherwise. A token
 * already verified with this secret is only checked for expiry again (as jsonwebtoken does it):
 * parsing and the HMAC were a tenth of a cached REST read's CPU.
 */
export function verifySession(token: string, secret: string): Session {
  let known = verified.get(secret);
  if (!known) {
    known = new Map();
    verified.set(secret, known);
  }
  const hit = known.get(token);
  if (hit) {
    if (Math.floor(Date.now() / 1000) < hit.exp) return hit;
    known.delete(token);
    throw unauthorized();
  }
  const session = verifyToken(token, secret);
  known.set(token, session);
  if (known.size > VERIFIED_MAX) known.delete(known.keys().next().value!);
  return session;
}

function verifyToken(token: string, secret: string): Session {
  let payload: jwt.JwtPayload;
  try {
    const decoded = jwt.verify(token, keyOf(secret), { algorithms: [ALGORITHM] });
    if (typeof decoded === 'string') throw new Error('string payload');
    payload = decoded;
  } catch {
    throw unauthorized();
  }
  const userId = Number(payload.sub);
  const { username, jti, exp } = payload as { username?: unknown; jti?: unknown; exp?: unknown };
  if (
    !Number.isSafeInteger(userId) ||
    typeof username !== 'string' ||
    typeof jti !== 'string' ||
    typeof exp !== 'number'
  ) {
    throw unauthorized();
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
