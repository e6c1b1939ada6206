import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { computed, inject, Injectable, signal } from '@angular/core';
import type { User } from '@parley/contracts';
import { firstValueFrom } from 'rxjs';
import { isApiError } from './error-messages';

/**
 * Who is signed in. The session itself is the HttpOnly cookie; this store only knows the user,
 * read from /api/auth/me on start (so a reload keeps the session).
 */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly http = inject(HttpClient);
  /** undefined while unknown, null when signed out. */
  private readonly current = signal<User | null | undefined>(undefined);
  private loading: Promise<User | null> | undefined;

  readonly user = this.current.asReadonly();
  readonly isSignedIn = computed(() => Boolean(this.current()));

  /** The signed-in user, asking the server once if it is not known yet. */
  resolve(): Promise<User | null> {
    const known = this.current();
    if (known !== undefined) return Promise.resolve(known);
    this.loading ??= firstValueFrom(this.http.get<{ user: User }>('/api/auth/me')).then(
      ({ user }) => this.set(user),
      () => this.set(null),
    );
    return this.loading;
  }

  async signIn(email: string, password: string): Promise<User> {
    const { user } = await firstValueFrom(
      this.http.post<{ user: User; token: string }>('/api/auth/login', { email, password }),
    );
    return this.set(user);
  }

  async register(email: string, username: string, password: string): Promise<User> {
    const { user } = await firstValueFrom(
      this.http.post<{ user: User }>('/api/auth/register', { email, username, password }),
    );
    return this.set(user);
  }

  /**
   * Revokes the session on the server, then forgets the user. While the server cannot be reached
   * the session stays valid (its cookie is HttpOnly, out of our reach), so the user stays signed
   * in and the error is thrown for the page to say so. A session that had already ended is gone.
   */
  async signOut(): Promise<void> {
    try {
      await firstValueFrom(this.http.post('/api/auth/logout', {}));
    } catch (error) {
      if (!isSessionGone(error)) throw error;
    }
    this.set(null);
  }

  /** Forgets the user (e.g. the server answered 401). */
  clear(): void {
    this.set(null);
  }

  private set<T extends User | null>(user: T): T {
    this.current.set(user);
    this.loading = undefined;
    return user;
  }
}

const isSessionGone = (error: unknown) =>
  (error instanceof HttpErrorResponse && error.status === 401) ||
  (isApiError(error) && error.code === 'unauthorized');
