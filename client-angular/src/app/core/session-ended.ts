import type { Router } from '@angular/router';

/**
 * To the sign-in page after the server ended the session (signed out elsewhere, expired): it says
 * why, and comes back here once signed in again.
 */
export function signInAgain(router: Router): Promise<boolean> {
  return router.navigate(['/sign-in'], { queryParams: { returnUrl: router.url, ended: 1 } });
}
