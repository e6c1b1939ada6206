import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { User } from '@parley/contracts';
import { BlankPage } from '../../testing/blank-page';
import { ME_RETRY_MS, Session, SESSION_CHANNEL } from './session';
import { loadDraft, saveDraft } from './unsent';

describe('Session', () => {
  const ada: User = { id: 1, username: 'ada', email: 'ada@example.com' };
  let session: Session;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([{ path: 'sign-in', component: BlankPage }]),
      ],
    });
    session = TestBed.inject(Session);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    http.verify();
    sessionStorage.clear();
  });

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

  describe('when /api/auth/me fails for a reason other than the session', () => {
    beforeEach(() => jasmine.clock().install());
    afterEach(() => jasmine.clock().uninstall());

    /** Lets the pending promise callbacks run (the clock is mocked, microtasks are not). */
    const settle = async () => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };

    it('keeps asking (503, network), and knows the user once it answers', async () => {
      let resolved: User | null | undefined;
      void session.resolve().then((user) => (resolved = user));
      http
        .expectOne('/api/auth/me')
        .flush(
          { error: { code: 'unavailable', message: 'busy' } },
          { status: 503, statusText: 'Service Unavailable' },
        );
      await settle();
      jasmine.clock().tick(ME_RETRY_MS[0]);
      await settle();
      http.expectOne('/api/auth/me').error(new ProgressEvent('error'));
      await settle();
      jasmine.clock().tick(ME_RETRY_MS[1]);
      await settle();
      http.expectOne('/api/auth/me').flush({ user: ada });
      await settle();

      expect(resolved).toEqual(ada);
      expect(session.isSignedIn()).toBeTrue();
    });

    it('takes the user for signed out once every retry has failed', async () => {
      let resolved: User | null | undefined;
      void session.resolve().then((user) => (resolved = user));
      for (const wait of ME_RETRY_MS) {
        http.expectOne('/api/auth/me').flush(null, { status: 502, statusText: 'Bad Gateway' });
        await settle();
        expect(resolved).toBeUndefined();
        jasmine.clock().tick(wait);
        await settle();
      }
      http.expectOne('/api/auth/me').flush(null, { status: 502, statusText: 'Bad Gateway' });
      await settle();

      expect(resolved).toBeNull();
    });
  });

  it('forgets what was not sent yet in this tab when signing out', async () => {
    saveDraft(1, 'general', 'half a thought');
    sessionStorage.setItem('elsewhere', 'kept');
    const signedOut = session.signOut();
    http
      .expectOne({ method: 'POST', url: '/api/auth/logout' })
      .flush(null, { status: 204, statusText: 'No Content' });
    await signedOut;

    expect(loadDraft(1, 'general')).toBe('');
    expect(sessionStorage.getItem('elsewhere')).toBe('kept');
  });

  describe('with other tabs', () => {
    let otherTab: BroadcastChannel;
    let observer: BroadcastChannel;
    beforeEach(() => {
      otherTab = new BroadcastChannel(SESSION_CHANNEL);
      // Created after the session's channel, so it hears a message after the session did.
      observer = new BroadcastChannel(SESSION_CHANNEL);
    });
    afterEach(() => {
      otherTab.close();
      observer.close();
    });

    const heard = () =>
      new Promise<unknown>((resolve) =>
        observer.addEventListener('message', ({ data }) => resolve(data), { once: true }),
      );

    it('when another tab signs out, then this one forgets the user and what it had not sent', async () => {
      const told = heard();
      const signedIn = session.signIn('ada@example.com', 'correct horse');
      http.expectOne('/api/auth/login').flush({ user: ada, token: 'jwt' });
      await signedIn;
      expect(await told).toBe('signed-in'); // this tab's own news, out of the way
      saveDraft(1, 'general', 'half a thought');

      const message = heard();
      otherTab.postMessage('signed-out');
      expect(await message).toBe('signed-out');

      expect(session.user()).toBeNull();
      expect(loadDraft(1, 'general')).toBe('');
    });

    it('when another tab signs in, then this one asks who is signed in and knows the user', async () => {
      const resolved = session.resolve();
      http.expectOne('/api/auth/me').flush(null, { status: 401, statusText: 'Unauthorized' });
      expect(await resolved).toBeNull();

      const message = heard();
      otherTab.postMessage('signed-in');
      expect(await message).toBe('signed-in');
      http.expectOne('/api/auth/me').flush({ user: ada });
      await session.resolve();

      expect(session.user()).toEqual(ada);
    });

    it('when this tab signs out, then the others are told', async () => {
      const message = heard();
      const signedOut = session.signOut();
      http
        .expectOne({ method: 'POST', url: '/api/auth/logout' })
        .flush(null, { status: 204, statusText: 'No Content' });
      await signedOut;

      expect(await message).toBe('signed-out');
    });
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
