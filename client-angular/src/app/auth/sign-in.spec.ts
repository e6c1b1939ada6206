import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, withComponentInputBinding } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { buttonNamed, byLabel, describedErrorOf, settle, typeInto } from '../../testing/dom';
import { SignIn } from './sign-in';
import { BlankPage } from '../../testing/blank-page';
import { useFakeBackend } from '../../testing/fake-backend';

describe('SignIn', () => {
  let harness: RouterTestingHarness;
  let backend: HttpTestingController;
  let root: HTMLElement;

  async function openSignIn(url: string, me: 'signed out' | 'signed in' = 'signed out') {
    backend = useFakeBackend(
      [
        { path: 'sign-in', component: SignIn },
        { path: 'register', component: BlankPage },
        { path: 'rooms', component: BlankPage },
        { path: 'rooms/:name', component: BlankPage },
      ],
      withComponentInputBinding(),
    );
    harness = await RouterTestingHarness.create();
    await harness.navigateByUrl(url);
    const me$ = backend.expectOne('/api/auth/me');
    if (me === 'signed in') me$.flush({ user: { id: 1, username: 'ada' } });
    else
      me$.flush({ error: { code: 'unauthorized' } }, { status: 401, statusText: 'Unauthorized' });
    await stable();
    root = harness.routeNativeElement as HTMLElement;
  }

  async function stable(): Promise<void> {
    await settle();
    await harness.fixture.whenStable();
  }

  async function submit(email: string, password: string) {
    typeInto(byLabel(root, 'Email'), email);
    typeInto(byLabel(root, 'Password'), password);
    buttonNamed(root, 'Sign in').click();
    await stable();
  }

  const url = () => TestBed.inject(Router).url;

  afterEach(() => backend.verify());

  it('signs in with the typed email and password, then returns to where the visitor was going', async () => {
    await openSignIn('/sign-in?returnUrl=%2Frooms%2Fabc');

    await submit(' ada@example.com ', 'correct horse');
    const request = backend.expectOne({ method: 'POST', url: '/api/auth/login' });
    expect(request.request.body).toEqual({ email: 'ada@example.com', password: 'correct horse' });
    request.flush({ user: { id: 1, username: 'ada' }, token: 'jwt' });
    await stable();

    expect(url()).toBe('/rooms/abc');
  });

  it('goes to /rooms when the returnUrl leads off the site', async () => {
    await openSignIn('/sign-in?returnUrl=%2F%2Fevil.example');

    await submit('ada@example.com', 'correct horse');
    backend.expectOne('/api/auth/login').flush({ user: { id: 1, username: 'ada' }, token: 'jwt' });
    await stable();

    expect(url()).toBe('/rooms');
  });

  it('says "Wrong email or password." when the server refuses, and stays on the page', async () => {
    await openSignIn('/sign-in');

    await submit('ada@example.com', 'wrong password');
    backend
      .expectOne('/api/auth/login')
      .flush(
        { error: { code: 'invalid_credentials', message: 'x' } },
        { status: 401, statusText: 'Unauthorized' },
      );
    await stable();

    expect(root.querySelector('[role="alert"]')?.textContent?.trim()).toBe(
      'Wrong email or password.',
    );
    expect(url()).toBe('/sign-in');
  });

  it('says how long to wait after too many attempts', async () => {
    await openSignIn('/sign-in');

    await submit('ada@example.com', 'wrong password');
    backend
      .expectOne('/api/auth/login')
      .flush(
        { error: { code: 'rate_limited', message: 'x' } },
        { status: 429, statusText: 'Too Many Requests', headers: { 'Retry-After': '30' } },
      );
    await stable();

    expect(root.querySelector('[role="alert"]')?.textContent?.trim()).toBe(
      'Too many attempts — try again in 30 s.',
    );
  });

  it('points out a missing email or password next to the field, without asking the server', async () => {
    await openSignIn('/sign-in');

    await submit('not-an-email', '');

    const email = byLabel(root, 'Email');
    const password = byLabel(root, 'Password');
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(describedErrorOf(root, email)).toBe('Not a valid email address');
    expect(describedErrorOf(root, password)).toBe('Enter your password.');
  });

  it('asks for a blank email rather than calling it invalid', async () => {
    await openSignIn('/sign-in');

    await submit('  ', 'correct horse');

    expect(describedErrorOf(root, byLabel(root, 'Email'))).toBe('Enter your email address.');
  });

  it('says the session has ended when sent here because of it, and not otherwise', async () => {
    await openSignIn('/sign-in?returnUrl=%2Frooms%2Fabc&ended=1');
    expect(root.querySelector('[role="status"]')?.textContent?.trim()).toBe(
      'Your session has ended. Please sign in again.',
    );

    await harness.navigateByUrl('/sign-in?returnUrl=%2Frooms%2Fabc');
    await stable();
    expect(root.querySelector('[role="status"]')).toBeNull();
  });

  it('links to registration, keeping the way back', async () => {
    await openSignIn('/sign-in?returnUrl=%2Frooms%2Fabc');

    const link = Array.from(root.querySelectorAll('a')).find((a) =>
      a.textContent?.includes('Create one'),
    );
    expect(link?.getAttribute('href')).toBe('/register?returnUrl=%2Frooms%2Fabc');
  });

  it('sends someone already signed in straight to the rooms', async () => {
    await openSignIn('/sign-in', 'signed in');

    expect(url()).toBe('/rooms');
  });
});
