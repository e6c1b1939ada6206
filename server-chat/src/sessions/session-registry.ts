import type { Session } from '@parley/server-kit';

/** Anything that holds a session open: a Socket.IO socket or a plain WebSocket. */
export interface SessionHolder {
  end(reason: 'revoked' | 'expired'): void;
}

// setTimeout cannot wait longer than 2^31 - 1 ms; a longer session is re-armed on the way.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The open connections of each token on this node: a revoked token ends them at once, and each
 * one ends when its token expires.
 */
export function createSessionRegistry() {
  const byJti = new Map<string, Set<SessionHolder>>();
  const timers = new Map<SessionHolder, NodeJS.Timeout>();

  const armExpiry = (holder: SessionHolder, session: Session) => {
    const remainingMs = session.exp * 1000 - Date.now();
    const timer = setTimeout(
      () => (remainingMs > MAX_TIMER_MS ? armExpiry(holder, session) : holder.end('expired')),
      Math.max(0, Math.min(remainingMs, MAX_TIMER_MS)),
    );
    timer.unref();
    timers.set(holder, timer);
  };

  return {
    /** Starts tracking; the returned function stops it (call it when the connection closes). */
    track(session: Session, holder: SessionHolder): () => void {
      let holders = byJti.get(session.jti);
      if (!holders) byJti.set(session.jti, (holders = new Set()));
      holders.add(holder);
      armExpiry(holder, session);
      return () => {
        clearTimeout(timers.get(holder));
        timers.delete(holder);
        holders.delete(holder);
        if (holders.size === 0) byJti.delete(session.jti);
      };
    },

    revoke(jti: string): void {
      for (const holder of [...(byJti.get(jti) ?? [])]) holder.end('revoked');
    },
  };
}

export type SessionRegistry = ReturnType<typeof createSessionRegistry>;
