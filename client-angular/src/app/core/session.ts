import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { Router } from '@angular/router';
import type { User } from '@parley/contracts';
import { firstValueFrom } from 'rxjs';
import { isApiError } from './error-messages';
import { signInAgain } from './session-ended';
import { forgetUnsent } from './unsent';

/** What one tab tells the others of this origin, so that they do not wait for a failed call. */
type TabMessage = 'signed-in' | 'signed-out';
export const SESSION_CHANNEL = 'parley-session';

/**
 * Waits before asking /api/auth/me again after an answer that says nothing about the session (the
 * server briefly unavailable, the network): only a 401 means signed out.
 */
export const ME_RETRY_MS = [500, 1000, 2000, 4000];

/**
 * Who is signed in. The session itself is the HttpOnly cookie; this store only knows the user,
 * read from /api/auth/me on start (so a reload keeps the session).
 */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);
  private readonly tabs =
    typeof BroadcastChannel === 'function' ? new BroadcastChannel(SESSION_CHANNEL) : null;
  /** undefined while unknown, null when signed out. */
  private readonly current = signal<User | null | undefined>(undefined);
  private loading: Promise<User | null> | undefined;

  readonly user = this.current.asReadonly();
  readonly isSignedIn = computed(() => Boolean(this.current()));

  constructor() {
    inject(DestroyRef).onDestroy(() => this.tabs?.close());
    // The session is a cookie every tab shares: a sign-out or sign-in in one is true in all.
    this.tabs?.addEventListener('message', ({ data }: MessageEvent<TabMessage>) => {
      if (data === 'signed-out' && this.current()) {
        this.forget();
        void signInAgain(this.router);
      } else if (data === 'signed-in' && !this.current()) {
        this.set(undefined);
        void this.resolve();
      }
    });
  }

  /** The signed-in user, asking the server once if it is not known yet. */
  resolve(): Promise<User | null> {
    const known = this.current();
    if (known !== undefined) return Promise.resolve(known);
    this.loading ??= this.askWhoIsSignedIn().then(
      (user) => this.set(user),
      // Still unanswered after every retry: the sign-in page, which says what is wrong if it lasts.
      () => this.set(null),
    );
    return this.loading;
  }

  private async askWhoIsSignedIn(): Promise<User | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await firstValueFrom(this.http.get<{ user: User }>('/api/auth/me'))).user;
      } catch (error) {
        if (isSessionGone(error)) return null;
        if (attempt === ME_RETRY_MS.length) throw error;
        await new Promise((resolve) => setTimeout(resolve, ME_RETRY_MS[attempt]));
      }
    }
  }

  async signIn(email: string, password: string): Promise<User> {
    const { user } = await firstValueFrom(
      this.http.post<{ user: User; token: string }>('/api/auth/login', { email, password }),
    );
    this.tabs?.postMessage('signed-in' satisfies TabMessage);
    return this.set(user);
  }

  async register(email: string, username: string, password: string): Promise<User> {
    const { user } = await firstValueFrom(
      this.http.post<{ user: User }>('/api/auth/register', { email, username, password }),
    );
    this.tabs?.postMessage('signed-in' satisfies TabMessage);
    return this.set(user);
  }

  /**
   * Revokes the session on the server, then forgets the user. While the server cannot be reached
   * the session stays valid (its cookie is HttpOnly, out of our reach), so the user stays signed
   * in and the error is thrown for the page to say so. A session that had already ended is gone.
   * What the user had not sent yet in this tab goes with it.
   */
  async signOut(): Promise<void> {
    try {
      await firstValueFrom(this.http.post('/api/auth/logout', {}));
    } catch (error) {
      if (!isSessionGone(error)) throw error;
    }
    this.tabs?.postMessage('signed-out' satisfies TabMessage);
    this.forget();
  }

  /** Signed out: no user, and nothing this tab had not sent yet. */
  private forget(): void {
    forgetUnsent();
    this.set(null);
  }

  /** Forgets the user (e.g. the server answered 401). */
  clear(): void {
    this.set(null);
  }

  private set<T extends User | null | undefined>(user: T): T {
    this.current.set(user);
    this.loading = undefined;
    return user;
  }
}

const isSessionGone = (error: unknown) =>
  (error instanceof HttpErrorResponse && error.status === 401) ||
  (isApiError(error) && error.code === 'unauthorized');
