import { HttpClient } from '@angular/common/http';
import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { firstValueFrom } from 'rxjs';
import type { ApiError } from './error-messages';
import { Session } from './session';
import { BlankPage } from '../../testing/blank-page';
import { useFakeBackend, signInAs } from '../../testing/fake-backend';

describe('sessionInterceptor', () => {
  let http: HttpClient;
  let backend: HttpTestingController;
  let session: Session;
  let router: Router;
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    backend = useFakeBackend([
      { path: 'rooms/:name', component: BlankPage },
      { path: 'sign-in', component: BlankPage },
    ]);
    http = TestBed.inject(HttpClient);
    session = TestBed.inject(Session);
    router = TestBed.inject(Router);
    harness = await RouterTestingHarness.create('/rooms/abc');
    await signIn();
  });

  afterEach(() => backend.verify());

  const signIn = () => signInAs(backend, { id: 1, username: 'ada' });

  async function errorFrom(
    url: string,
    status: number,
    code: string,
    headers: Record<string, string> = {},
  ): Promise<ApiError> {
    const response = firstValueFrom(http.get(url));
    backend
      .expectOne(url)
      .flush({ error: { code, message: code } }, { status, statusText: code, headers });
    try {
      await response;
    } catch (error) {
      return error as ApiError;
    }
    throw new Error(`expected ${url} to fail`);
  }

  it('on a 401 from the API, forgets the user and goes to sign in, coming back afterwards', async () => {
    const error = await errorFrom('/api/rooms', 401, 'unauthorized');
    await harness.fixture.whenStable();

    expect(error.code).toBe('unauthorized');
    expect(session.user()).toBeNull();
    expect(router.url).toBe('/sign-in?returnUrl=%2Frooms%2Fabc&ended=1');
  });

  it('on a 401 from the sign-in call itself, stays put and keeps the session', async () => {
    const error = await errorFrom('/api/auth/login', 401, 'invalid_credentials');

    expect(error).toEqual(
      jasmine.objectContaining({
        code: 'invalid_credentials',
        message: 'Wrong email or password.',
      }),
    );
    expect(session.user()).toEqual({ id: 1, username: 'ada' });
    expect(router.url).toBe('/rooms/abc');
  });

  it('hands the caller an ApiError with the code and a sentence for people', async () => {
    const error = await errorFrom('/api/rooms', 409, 'room_exists');

    expect(error).toEqual(
      jasmine.objectContaining({
        code: 'room_exists',
        message: 'A room with that name already exists.',
      }),
    );
    expect(router.url).toBe('/rooms/abc');
  });

  it('says how long to wait on a 429 with Retry-After', async () => {
    const error = await errorFrom('/api/auth/login', 429, 'rate_limited', { 'Retry-After': '30' });

    expect(error.retryAfterSeconds).toBe(30);
    expect(error.message).toBe('Too many attempts — try again in 30 s.');
  });
});
