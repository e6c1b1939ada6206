import type { Session } from '@parley/server-kit';

/** Anything that holds a session open: a Socket.IO socket or a plain WebSocket. */
export interface SessionHolder {
  end(reason: 'revoked' | 'expired'): void;
}

/** How often expired sessions are ended: a token's `exp` is in whole seconds anyway. */
const SWEEP_MS = 1_000;

/**
 * The open connections of each token on this node: a revoked token ends them at once, and each
 * one ends within a second of its token's expiry. One timer serves every session (a timer per
 * connection costs memory and, with distinct durations, a timer list each). `isRevoked` says
 * whether a revocation of the token has been seen: one that arrived while a connection was being
 * set up (after its handshake's check, before it was tracked) found nothing to end, so tracking
 * ends it then.
 */
export function createSessionRegistry(isRevoked: (jti: string) => boolean) {
  const byJti = new Map<string, Set<SessionHolder>>();
  /** A token's `exp` (seconds) → the tokens that expire then. */
  const byExpiry = new Map<number, Set<string>>();

  const endAll = (jti: string, reason: 'revoked' | 'expired') => {
    for (const holder of [...(byJti.get(jti) ?? [])]) holder.end(reason);
  };

  const sweeper = setInterval(() => {
    const nowSeconds = Date.now() / 1000;
    for (const [exp, jtis] of byExpiry) {
      if (exp > nowSeconds) continue;
      byExpiry.delete(exp);
      for (const jti of jtis) {
        endAll(jti, 'expired');
        byJti.delete(jti);
      }
    }
  }, SWEEP_MS);
  sweeper.unref();

  return {
    /** Starts tracking; the returned function stops it (call it when the connection closes). */
    track(session: Session, holder: SessionHolder): () => void {
      const { jti, exp } = session;
      let holders = byJti.get(jti);
      if (!holders) {
        byJti.set(jti, (holders = new Set()));
        let expiring = byExpiry.get(exp);
        if (!expiring) byExpiry.set(exp, (expiring = new Set()));
        expiring.add(jti);
      }
      holders.add(holder);
      // After the caller's own set-up (its close handler included) has run.
      if (isRevoked(jti)) queueMicrotask(() => holder.end('revoked'));
      return () => {
        holders.delete(holder);
        if (holders.size > 0 || byJti.get(jti) !== holders) return;
        byJti.delete(jti);
        const expiring = byExpiry.get(exp);
        expiring?.delete(jti);
        if (expiring?.size === 0) byExpiry.delete(exp);
      };
    },

    revoke(jti: string): void {
      endAll(jti, 'revoked');
    },

    /** Ends every connection whose token is now known revoked (after revocations were reread). */
    endRevoked(): void {
      for (const jti of [...byJti.keys()]) if (isRevoked(jti)) endAll(jti, 'revoked');
    },

    close(): void {
      clearInterval(sweeper);
    },
  };
}

export type SessionRegistry = ReturnType<typeof createSessionRegistry>;
