import { errorSentence, isApiError } from '../core/error-messages';

export interface PlacedError<F extends string> {
  /** Sentences for the fields the error concerns. */
  fields: Partial<Record<F, string>>;
  /** The sentence for the form as a whole, when the error concerns no field. */
  form: string | null;
}

/**
 * Decides where a rejected form submission's error is shown: under a field named by its code
 * (e.g. email_taken → email) or by a validation detail's `path`, otherwise for the whole form.
 */
export function placeError<F extends string>(
  error: unknown,
  fields: readonly F[],
  fieldOfCode: Partial<Record<string, F>> = {},
): PlacedError<F> {
  const placed: Partial<Record<F, string>> = {};
  if (!isApiError(error)) return { fields: placed, form: errorSentence(error) };
  const field = fieldOfCode[error.code];
  if (field) placed[field] = error.message;
  for (const { path, message } of error.details ?? []) {
    // The first problem with a field is the one to fix first.
    if ((fields as readonly string[]).includes(path)) placed[path as F] ??= message;
  }
  return Object.keys(placed).length > 0
    ? { fields: placed, form: null }
    : { fields: placed, form: error.message };
}
