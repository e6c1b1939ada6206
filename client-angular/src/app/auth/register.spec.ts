import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, withComponentInputBinding } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { LIMITS } from '@parley/contracts';
import { Session } from '../core/session';
import { buttonNamed, byLabel, describedErrorOf, settle, typeInto } from '../../testing/dom';
import { Register } from './register';
import { BlankPage } from '../../testing/blank-page';
import { useFakeBackend } from '../../testing/fake-backend';

describe('Register', () => {
  let harness: RouterTestingHarness;
  let backend: HttpTestingController;
  let root: HTMLElement;

  beforeEach(() => {
    backend = useFakeBackend(
      [
        { path: 'register', component: Register },
        { path: 'sign-in', component: BlankPage },
        { path: 'rooms', component: BlankPage },
        { path: 'rooms/:name', component: BlankPage },
      ],
      withComponentInputBinding(),
    );
  });

  afterEach(() => backend.verify());

  async function open(url = '/register'): Promise<void> {
    harness = await RouterTestingHarness.create(url);
    root = harness.routeNativeElement as HTMLElement;
  }

  async function stable(): Promise<void> {
    await settle();
    await harness.fixture.whenStable();
  }

  async function fillIn(values: { email: string; username: string; password: string }) {
    typeInto(byLabel(root, 'Email'), values.email);
    typeInto(byLabel(root, 'Username'), values.username);
    typeInto(byLabel(root, 'Password'), values.password);
    buttonNamed(root, 'Create account').click();
    await stable();
  }

  const valid = { email: 'ada@example.com', username: 'ada', password: 'correct horse' };

  function answerRegister(status: number, code: string, details?: unknown) {
    backend
      .expectOne({ method: 'POST', url: '/api/auth/register' })
      .flush({ error: { code, message: code, details } }, { status, statusText: code });
  }

  it('shows the limits from the contract as hints', async () => {
    await open();

    expect(root.textContent).toContain(`At most ${LIMITS.emailMaxLength} characters`);
    expect(root.textContent).toContain(`${LIMITS.usernameMinLength}–${LIMITS.usernameMaxLength}`);
    expect(root.textContent).toContain(`At least ${LIMITS.passwordMinLength} characters`);
  });

  it('checks a field with the contract schema when it is left, and shows the error under it', async () => {
    await open();
    const username = byLabel(root, 'Username');

    typeInto(username, 'ab');
    username.dispatchEvent(new Event('blur'));
    await stable();

    expect(username.getAttribute('aria-invalid')).toBe('true');
    expect(describedErrorOf(root, username)).toBe('Between 3 and 32 characters');
    expect(username.closest('.field')?.querySelector('[role="alert"]')?.textContent).toContain(
      'Between 3 and 32 characters',
    );
    expect(byLabel(root, 'Email').getAttribute('aria-invalid')).toBeNull();
  });

  it('asks for each field left blank rather than calling it invalid', async () => {
    await open();

    await fillIn({ email: '', username: '', password: '' });

    expect(describedErrorOf(root, byLabel(root, 'Email'))).toBe('Enter your email address.');
    expect(describedErrorOf(root, byLabel(root, 'Username'))).toBe('Choose a username.');
    expect(describedErrorOf(root, byLabel(root, 'Password'))).toBe('Choose a password.');
    backend.expectNone('/api/auth/register');
  });

  it('does not send a form the schemas reject', async () => {
    await open();

    await fillIn({ email: 'nope', username: 'a b', password: 'short' });

    expect(describedErrorOf(root, byLabel(root, 'Email'))).toBe('Not a valid email address');
    expect(describedErrorOf(root, byLabel(root, 'Username'))).toBe(
      'Only letters, digits, _, - and .',
    );
    expect(describedErrorOf(root, byLabel(root, 'Password'))).toBe('At least 8 characters');
    backend.expectNone('/api/auth/register');
  });

  it('shows "That email is already registered." under the email field', async () => {
    await open();

    await fillIn(valid);
    answerRegister(409, 'email_taken');
    await stable();

    expect(describedErrorOf(root, byLabel(root, 'Email'))).toBe(
      'That email is already registered.',
    );
    expect(describedErrorOf(root, byLabel(root, 'Username'))).toBeNull();
  });

  it('shows a taken username under the username field until it is changed', async () => {
    await open();

    await fillIn(valid);
    answerRegister(409, 'username_taken');
    await stable();
    const username = byLabel(root, 'Username');
    expect(describedErrorOf(root, username)).toBe('That username is taken.');

    typeInto(username, 'ada2');
    await stable();
    expect(describedErrorOf(root, username)).toBeNull();
  });

  it('places validation details from the server by their path', async () => {
    await open();

    await fillIn(valid);
    answerRegister(400, 'validation_failed', [{ path: 'password', message: 'At most 72 bytes' }]);
    await stable();

    expect(describedErrorOf(root, byLabel(root, 'Password'))).toBe('At most 72 bytes');
    expect(describedErrorOf(root, byLabel(root, 'Email'))).toBeNull();
  });

  it('shows errors that concern no field above the button', async () => {
    await open();

    await fillIn(valid);
    answerRegister(503, 'unavailable');
    await stable();

    expect(root.querySelector('.notice--error')?.textContent?.trim()).toBe(
      'Parley is temporarily unavailable. Please try again in a moment.',
    );
  });

  it('signs the new user in and goes on to the returnUrl', async () => {
    await open('/register?returnUrl=%2Frooms%2Fabc');

    await fillIn(valid);
    const request = backend.expectOne('/api/auth/register');
    expect(request.request.body).toEqual(valid);
    request.flush({ user: { id: 7, username: 'ada' } }, { status: 201, statusText: 'Created' });
    await stable();

    expect(TestBed.inject(Session).user()).toEqual({ id: 7, username: 'ada' });
    expect(TestBed.inject(Router).url).toBe('/rooms/abc');
  });

  it('goes to /rooms without a returnUrl', async () => {
    await open();

    await fillIn(valid);
    backend.expectOne('/api/auth/register').flush({ user: { id: 7, username: 'ada' } });
    await stable();

    expect(TestBed.inject(Router).url).toBe('/rooms');
  });
});
