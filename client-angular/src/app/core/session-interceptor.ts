import { HttpErrorResponse, type HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { toApiError } from './error-messages';
import { Session } from './session';
import { signInAgain } from './session-ended';

/**
 * Every API error becomes an ApiError (code + readable sentence). A 401 outside the auth calls
 * means the session ended: forget the user and go to sign in, coming back here afterwards.
 */
export const sessionInterceptor: HttpInterceptorFn = (request, next) => {
  const session = inject(Session);
  const router = inject(Router);
  return next(request).pipe(
    catchError((error: unknown) => {
      if (!(error instanceof HttpErrorResponse)) return throwError(() => error);
      const isAuthCall = request.url.startsWith('/api/auth/');
      if (error.status === 401 && !isAuthCall) {
        session.clear();
        void signInAgain(router);
      }
      return throwError(() => toApiError(error));
    }),
  );
};
