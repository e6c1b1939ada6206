import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter, type RouterFeatures, type Routes } from '@angular/router';
import type { User } from '@parley/contracts';
import { Session } from '../app/core/session';
import { sessionInterceptor } from '../app/core/session-interceptor';

/**
 * The app's HTTP stack (its session interceptor included) against Angular's fake backend, and a
 * router with `routes`. Returns the fake backend, to answer and check requests.
 */
export function useFakeBackend(
  routes: Routes,
  ...features: RouterFeatures[]
): HttpTestingController {
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(withInterceptors([sessionInterceptor])),
      provideHttpClientTesting(),
      provideRouter(routes, ...features),
    ],
  });
  return TestBed.inject(HttpTestingController);
}

/** Signs `user` in as the sign-in page does, the fake backend accepting the password. */
export async function signInAs(
  backend: HttpTestingController,
  user: Pick<User, 'id' | 'username'> & Partial<User>,
): Promise<void> {
  const signedIn = TestBed.inject(Session).signIn('ada@example.com', 'correct horse');
  backend.expectOne('/api/auth/login').flush({ user, token: 'jwt' });
  await signedIn;
}
