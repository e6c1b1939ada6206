import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { describeError, errorSentence, isApiError, toApiError } from './error-messages';

describe('error messages', () => {
  it('gives a readable sentence for each contract code', () => {
    expect(describeError({ code: 'invalid_credentials' })).toBe('Wrong email or password.');
    expect(describeError({ code: 'email_taken' })).toBe('That email is already registered.');
    expect(describeError({ code: 'room_exists' })).toBe('A room with that name already exists.');
    expect(describeError({ code: 'room_not_found' })).toBe('This room no longer exists.');
  });

  it('says when to retry when the server is rate limiting', () => {
    expect(describeError({ code: 'rate_limited', retryAfterSeconds: 30 })).toBe(
      'Too many attempts — try again in 30 s.',
    );
    expect(describeError({ code: 'rate_limited' })).toBe('Too many attempts — try again shortly.');
  });

  it('gives a long wait in minutes, not hundreds of seconds', () => {
    expect(describeError({ code: 'rate_limited', retryAfterSeconds: 883 })).toBe(
      'Too many attempts — try again in 15 min.',
    );
    expect(describeError({ code: 'rate_limited', retryAfterSeconds: 60 })).toBe(
      'Too many attempts — try again in 1 min.',
    );
  });

  it('reads the code, Retry-After and details of an error response', () => {
    const response = new HttpErrorResponse({
      status: 429,
      headers: new HttpHeaders({ 'Retry-After': '30' }),
      error: { error: { code: 'rate_limited', message: 'slow down' } },
    });

    expect(toApiError(response)).toEqual({
      code: 'rate_limited',
      message: 'Too many attempts — try again in 30 s.',
      retryAfterSeconds: 30,
      details: undefined,
    });
  });

  it('keeps validation details so forms can show them next to their field', () => {
    const details = [{ path: 'username', message: 'Only letters, digits, _, - and .' }];
    const error = toApiError({
      status: 400,
      error: { error: { code: 'validation_failed', message: 'bad', details } },
    });

    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual(details);
  });

  it('treats an unknown code or a non-JSON body as internal, and status 0 as a network problem', () => {
    expect(toApiError({ status: 500, error: 'Bad gateway' }).code).toBe('internal');
    expect(toApiError({ status: 418, error: { error: { code: 'teapot' } } }).code).toBe('internal');
    expect(toApiError({ status: 0, error: null })).toEqual({
      code: 'network',
      message: 'Cannot reach Parley. Check your connection.',
    });
  });

  it('shows an ApiError its own sentence and anything else a generic one', () => {
    const apiError = toApiError({ status: 409, error: { error: { code: 'username_taken' } } });

    expect(isApiError(apiError)).toBeTrue();
    expect(errorSentence(apiError)).toBe('That username is taken.');
    expect(isApiError(new Error('boom'))).toBeFalse();
    expect(errorSentence(new Error('boom'))).toBe(
      'Something went wrong on our side. Please try again.',
    );
  });
});
