import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { Router } from '@angular/router';
import type { User } from '@parley/contracts';
import { buttonNamed, settle } from '../testing/dom';
import { BlankPage } from '../testing/blank-page';
import { Component } from '@angular/core';
import { App } from './app';

@Component({ selector: 'app-titled-page', template: '<h1>A page</h1><p>Nothing to type.</p>' })
class TitledPage {}
import { useFakeBackend, signInAs } from '../testing/fake-backend';

describe('App', () => {
  const ada: User = { id: 1, email: 'ada@example.com', username: 'ada' };
  let fixture: ComponentFixture<App>;
  let element: HTMLElement;
  let backend: HttpTestingController;

  async function stable(): Promise<void> {
    await settle();
    await fixture.whenStable();
  }

  beforeEach(async () => {
    backend = useFakeBackend([
      { path: 'rooms', component: BlankPage },
      { path: 'sign-in', component: TitledPage },
    ]);
    await signInAs(backend, ada);
    await TestBed.inject(Router).navigateByUrl('/rooms');
    fixture = TestBed.createComponent(App);
    element = fixture.nativeElement as HTMLElement;
    await stable();
  });

  afterEach(() => backend.verify());

  it('when sign out cannot reach the server, then it says so and the user stays signed in', async () => {
    buttonNamed(element, 'Sign out').click();
    backend.expectOne('/api/auth/logout').error(new ProgressEvent('error'));
    await stable();

    expect(element.querySelector('[role="alert"]')?.textContent?.trim()).toBe(
      'Not signed out: Cannot reach Parley. Check your connection.',
    );
    expect(element.querySelector('.app-bar__user')?.textContent).toContain('ada');
    expect(TestBed.inject(Router).url).toBe('/rooms');
  });

  it('when sign out succeeds, then the user is gone and the sign-in page shows', async () => {
    buttonNamed(element, 'Sign out').click();
    backend.expectOne('/api/auth/logout').flush(null, { status: 204, statusText: 'No Content' });
    await stable();

    expect(element.querySelector('.app-bar__user')).toBeNull();
    expect(element.querySelector('[role="alert"]')).toBeNull();
    expect(TestBed.inject(Router).url).toBe('/sign-in');
  });

  it('when a new page opens and nothing on it took the focus, then its heading has it (not the body)', async () => {
    document.body.appendChild(element);
    buttonNamed(element, 'Sign out').focus();
    buttonNamed(element, 'Sign out').click();
    backend.expectOne('/api/auth/logout').flush(null, { status: 204, statusText: 'No Content' });
    await stable();

    expect(document.activeElement?.textContent).toBe('A page');
    element.remove();
  });
});
