import { TestBed } from '@angular/core/testing';
import {
  provideRouter,
  Router,
  UrlTree,
  type ActivatedRouteSnapshot,
  type RouterStateSnapshot,
} from '@angular/router';
import type { User } from '@parley/contracts';
import { authGuard } from './auth-guard';
import { Session } from './session';

describe('authGuard', () => {
  const route = {} as ActivatedRouteSnapshot;
  const state = { url: '/rooms/abc' } as RouterStateSnapshot;

  function runGuardWith(user: User | null) {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        { provide: Session, useValue: { resolve: () => Promise.resolve(user) } },
      ],
    });
    return TestBed.runInInjectionContext(() => authGuard(route, state)) as Promise<
      boolean | UrlTree
    >;
  }

  it('sends a signed-out visitor to sign in, with the way back', async () => {
    const result = await runGuardWith(null);

    expect(result).toBeInstanceOf(UrlTree);
    const tree = result as UrlTree;
    expect(tree.root.children['primary']?.segments.map((s) => s.path)).toEqual(['sign-in']);
    expect(tree.queryParams).toEqual({ returnUrl: '/rooms/abc' });
    expect(TestBed.inject(Router).serializeUrl(tree)).toBe('/sign-in?returnUrl=%2Frooms%2Fabc');
  });

  it('lets a signed-in user through', async () => {
    expect(await runGuardWith({ id: 1, username: 'ada' })).toBeTrue();
  });
});
