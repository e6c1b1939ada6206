import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { User } from '@parley/contracts';
import { Session } from './session';

describe('Session', () => {
  const ada: User = { id: 1, username: 'ada', email: 'ada@example.com' };
  let session: Session;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    session = TestBed.inject(Session);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('asks /api/auth/me once, however many ask at the same time, and then remembers', async () => {
    const first = session.resolve();
    const second = session.resolve();
    http.expectOne({ method: 'GET', url: '/api/auth/me' }).flush({ user: ada });

    expect(await first).toEqual(ada);
    expect(await second).toEqual(ada);
    expect(await session.resolve()).toEqual(ada);
    expect(session.user()).toEqual(ada);
    expect(session.isSignedIn()).toBeTrue();
  });

  it('is signed out when /api/auth/me answers 401, and does not ask again', async () => {
    const resolved = session.resolve();
    http
      .expectOne('/api/auth/me')
      .flush(
        { error: { code: 'unauthorized', message: 'no' } },
        { status: 401, statusText: 'Unauthorized' },
      );

    expect(await resolved).toBeNull();
    expect(await session.resolve()).toBeNull();
    expect(session.user()).toBeNull();
    expect(session.isSignedIn()).toBeFalse();
  });

  it('knows the user after signing in', async () => {
    const signedIn = session.signIn('ada@example.com', 'correct horse');
    const request = http.expectOne({ method: 'POST', url: '/api/auth/login' });
    expect(request.request.body).toEqual({ email: 'ada@example.com', password: 'correct horse' });
    request.flush({ user: ada, token: 'jwt' });

    expect(await signedIn).toEqual(ada);
    expect(session.user()).toEqual(ada);
  });

  it('knows the user after registering', async () => {
    const registered = session.register('ada@example.com', 'ada', 'correct horse');
    const request = http.expectOne({ method: 'POST', url: '/api/auth/register' });
    expect(request.request.body).toEqual({
      email: 'ada@example.com',
      username: 'ada',
      password: 'correct horse',
    });
    request.flush({ user: ada }, { status: 201, statusText: 'Created' });

    expect(await registered).toEqual(ada);
    expect(session.user()).toEqual(ada);
  });

  it('leaves the user unknown when signing in fails', async () => {
    const signedIn = session.signIn('ada@example.com', 'wrong');
    http
      .expectOne('/api/auth/login')
      .flush(
        { error: { code: 'invalid_credentials' } },
        { status: 401, statusText: 'Unauthorized' },
      );

    await expectAsync(signedIn).toBeRejected();
    expect(session.user()).toBeUndefined();
  });

  it('keeps the user signed in when sign out cannot reach the server (the session is still valid)', async () => {
    const signedIn = session.signIn('ada@example.com', 'correct horse');
    http.expectOne('/api/auth/login').flush({ user: ada, token: 'jwt' });
    await signedIn;

    const signedOut = session.signOut();
    http.expectOne({ method: 'POST', url: '/api/auth/logout' }).error(new ProgressEvent('error'));

    await expectAsync(signedOut).toBeRejected();
    expect(session.user()).toEqual(ada);
  });

  it('forgets the user on sign out when the session had already ended', async () => {
    const signedIn = session.signIn('ada@example.com', 'correct horse');
    http.expectOne('/api/auth/login').flush({ user: ada, token: 'jwt' });
    await signedIn;

    const signedOut = session.signOut();
    http
      .expectOne({ method: 'POST', url: '/api/auth/logout' })
      .flush(
        { error: { code: 'unauthorized', message: 'no' } },
        { status: 401, statusText: 'Unauthorized' },
      );

    await signedOut;
    expect(session.user()).toBeNull();
    expect(await session.resolve()).toBeNull();
  });

  it('signs out with POST /api/auth/logout', async () => {
    const signedOut = session.signOut();
    http
      .expectOne({ method: 'POST', url: '/api/auth/logout' })
      .flush(null, { status: 204, statusText: 'No Content' });

    await signedOut;
    expect(session.user()).toBeNull();
  });
});
