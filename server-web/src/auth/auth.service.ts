import { LIMITS, type LoginBody, type RegisterBody, type User } from '@parley/contracts';
import { publishEvent } from '@parley/db';
import { AppError, isUniqueViolation, signSession, type Session } from '@parley/server-kit';
import type { AppDeps } from '../deps';
import type { UserRecord } from './users.repository';

export const ownUser = (user: UserRecord): User => ({
  id: user.id,
  email: user.email,
  username: user.username,
});

const invalidCredentials = () => new AppError('invalid_credentials', 'Wrong email or password');

export function createAuthService(deps: AppDeps) {
  const { users, config, loginLimiter, signInLimiter, revokedTokens, revocations, passwords } =
    deps;
  // Compared against when the email is unknown, so both failures cost one bcrypt comparison.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () =>
    (dummyHash ??= passwords.hash('parley-dummy-password', config.bcryptCost));

  const issue = (user: UserRecord) => signSession(user, config.jwtSecret, config.jwtTtlSeconds);

  return {
    async register(body: RegisterBody) {
      const taken = await users.findTaken(body.email, body.username);
      if (taken.email) throw new AppError('email_taken', 'That email is already registered');
      if (taken.username) throw new AppError('username_taken', 'That username is taken');
      const hashedPassword = await passwords.hash(body.password, config.bcryptCost);
      try {
        const user = await users.insert({ ...body, hashedPassword });
        return { user: ownUser(user), ...issue(user) };
      } catch (error) {
        // Two sign-ups racing for the same name: the unique index decides.
        if (isUniqueViolation(error, 'users_email_lower_unique')) {
          throw new AppError('email_taken', 'That email is already registered');
        }
        if (isUniqueViolation(error, 'users_username_lower_unique')) {
          throw new AppError('username_taken', 'That username is taken');
        }
        throw error;
      }
    },

    async login(body: LoginBody, ip: string) {
      const limitKey = `${body.email.toLowerCase()}|${ip}`;
      // Counted before the slow comparison: counted after it, parallel guesses would all pass
      // before the first failure was recorded. A success clears the account's failures and gives
      // the address its attempt back (one good password must not wipe the address's failures).
      await signInLimiter.attempt(ip);
      try {
        await loginLimiter.attempt(limitKey);
      } catch (error) {
        await signInLimiter.refund(ip);
        throw error;
      }
      const user = await users.findByEmail(body.email);
      // bcrypt takes turns between addresses: a storm from one does not hold up the others.
      const isMatch = await passwords.compare(
        body.password,
        user?.hashedPassword ?? (await getDummyHash()),
        ip,
      );
      // No password is longer (sign-up refuses it), but bcrypt would ignore the bytes past 72.
      const isWhole = Buffer.byteLength(body.password, 'utf8') <= LIMITS.passwordMaxBytes;
      if (!user || !isMatch || !isWhole) throw invalidCredentials();
      await Promise.all([loginLimiter.reset(limitKey), signInLimiter.refund(ip)]);
      return { user: ownUser(user), ...issue(user) };
    },

    /**
     * Revokes the token everywhere: stored for nodes that start later, announced to every node
     * that runs, and refused here from the moment the answer leaves.
     */
    async logout(session: Session) {
      const { jti, userId, exp } = session;
      await deps.transaction(async (tx) => {
        await revokedTokens.revoke(tx, { jti, userId, expiresAt: new Date(exp * 1000) });
        await publishEvent(tx, { type: 'token_revoked', jti, userId, exp });
      });
      revocations.add({ jti, exp });
    },

    async me(session: Session): Promise<User> {
      const user = await users.findById(session.userId);
      if (!user) throw new AppError('unauthorized', 'This account no longer exists');
      return ownUser(user);
    },

    /** Computes the dummy hash ahead of the first login so that one is not slower. */
    warmUp: () => getDummyHash().then(() => undefined),
  };
}
