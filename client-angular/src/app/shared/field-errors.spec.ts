import { toApiError } from '../core/error-messages';
import { placeError } from './field-errors';

describe('placeError', () => {
  const fields = ['email', 'username', 'password'] as const;
  const apiError = (status: number, code: string, details?: unknown) =>
    toApiError({ status, error: { error: { code, message: code, details } } });

  it('puts an error under the field its code names', () => {
    const placed = placeError(apiError(409, 'email_taken'), fields, { email_taken: 'email' });

    expect(placed).toEqual({ fields: { email: 'That email is already registered.' }, form: null });
  });

  it('puts validation details under the fields their paths name', () => {
    const details = [
      { path: 'username', message: 'Only letters, digits, _, - and .' },
      { path: 'password', message: 'At least 8 characters' },
    ];

    expect(placeError(apiError(400, 'validation_failed', details), fields)).toEqual({
      fields: { username: 'Only letters, digits, _, - and .', password: 'At least 8 characters' },
      form: null,
    });
  });

  it('gives the whole form anything that concerns no field', () => {
    const unknownPath = apiError(400, 'validation_failed', [{ path: 'captcha', message: 'x' }]);

    expect(placeError(unknownPath, fields).form).toBe(
      'Some fields are not valid — check them and try again.',
    );
    expect(placeError(apiError(503, 'unavailable'), fields).form).toBe(
      'Parley is temporarily unavailable. Please try again in a moment.',
    );
    expect(placeError(new Error('boom'), fields).fields).toEqual({});
  });
});
