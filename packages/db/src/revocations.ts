import type { RevokedTokensRepository } from './revoked-tokens.repository';

/** How often revocations of tokens that have expired since are forgotten. */
const SWEEP_MS = 60_000;

/** A token's id and its expiry (seconds since the epoch), as in token_revoked events. */
export interface Revocation {
  jti: string;
  exp: number;
}

export interface RevocationListOptions {
  /** A failed reload of the stored revocations; it is retried. */
  onError?: (error: unknown) => void;
  retryDelayMs?: number;
}

/**
 * The revoked, unexpired tokens, held in memory so that checking a session needs no query. It is
 * fed by token_revoked events and goes live once the stored revocations are read; while it is not
 * live (not yet listening, or the listening connection was lost and events in the gap must be read
 * again) each check asks the database, so a revocation is never missed.
 */
export function createRevocationList(
  revokedTokens: RevokedTokensRepository,
  options: RevocationListOptions = {},
) {
  const expiries = new Map<string, number>();
  let isLive = false;
  /** Counts suspensions: a reload that a later suspension overtook must not go live. */
  let generation = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const liveListeners = new Set<() => void>();

  const add = ({ jti, exp }: Revocation) => {
    if (exp > Date.now() / 1000) expiries.set(jti, exp);
  };

  const suspend = () => {
    generation++;
    isLive = false;
    clearTimeout(retryTimer);
  };

  const reload = async (reloading: number) => {
    try {
      const stored = await revokedTokens.listUnexpired();
      if (reloading !== generation) return;
      stored.forEach(add);
      isLive = true;
      for (const listener of liveListeners) listener();
    } catch (error) {
      if (reloading !== generation) return;
      options.onError?.(error);
      retryTimer = setTimeout(() => void reload(reloading), options.retryDelayMs ?? 1_000);
    }
  };

  const sweeper = setInterval(() => {
    const nowSeconds = Date.now() / 1000;
    for (const [jti, exp] of expiries) if (exp <= nowSeconds) expiries.delete(jti);
  }, SWEEP_MS);
  sweeper.unref();

  return {
    async isRevoked(jti: string): Promise<boolean> {
      return isLive ? expiries.has(jti) : revokedTokens.isRevoked(jti);
    },

    /** Whether the token's revocation has been seen here (memory only, live or not). */
    isKnownRevoked: (jti: string): boolean => expiries.has(jti),

    /** A revocation seen in an event, or made by this process (before its event arrives). */
    add,

    /** The feed is down: events may be missed until `resync`. */
    suspend,

    /**
     * Calls `listener` each time the list goes live, i.e. has read every stored revocation, some
     * perhaps revoked while the feed was down. Returns the function that stops it.
     */
    onLive(listener: () => void): () => void {
      liveListeners.add(listener);
      return () => liveListeners.delete(listener);
    },

    /**
     * The feed listens (again): reads every unexpired revocation, retrying until it can, and then
     * goes live. Events received meanwhile are kept: a revocation lasts as long as its token.
     */
    resync(): Promise<void> {
      suspend();
      return reload(generation);
    },

    close(): void {
      suspend();
      clearInterval(sweeper);
    },
  };
}

export type RevocationList = ReturnType<typeof createRevocationList>;
