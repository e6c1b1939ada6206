import type { ErrorCode } from '@parley/contracts';

/** A contract error as the client holds it: the code, a sentence for people, and when to retry. */
export interface ApiError {
  code: ErrorCode | 'network';
  message: string;
  retryAfterSeconds?: number;
  details?: { path: string; message: string }[];
}

const SENTENCES: Record<ApiError['code'], string> = {
  validation_failed: 'Some fields are not valid — check them and try again.',
  invalid_json: 'The request could not be read. Please try again.',
  unauthorized: 'Your session has ended. Please sign in again.',
  invalid_credentials: 'Wrong email or password.',
  forbidden: 'Only the owner of this room can do that.',
  forbidden_origin: 'This page is not allowed to make that request.',
  not_found: 'That page does not exist.',
  room_not_found: 'This room no longer exists.',
  email_taken: 'That email is already registered.',
  username_taken: 'That username is taken.',
  room_exists: 'A room with that name already exists.',
  payload_too_large: 'That is too long to send.',
  rate_limited: 'Too many attempts — try again shortly.',
  internal: 'Something went wrong on our side. Please try again.',
  unavailable: 'Parley is temporarily unavailable. Please try again in a moment.',
  network: 'Cannot reach Parley. Check your connection.',
};

/** The readable sentence for an error, e.g. "Too many attempts — try again in 30 s". */
export function describeError(error: Pick<ApiError, 'code' | 'retryAfterSeconds'>): string {
  if (error.code === 'rate_limited' && error.retryAfterSeconds !== undefined) {
    return `Too many attempts — try again in ${waitOf(error.retryAfterSeconds)}.`;
  }
  return SENTENCES[error.code] ?? SENTENCES.internal;
}

/** "30 s" under a minute, else whole minutes rounded up ("15 min"). */
const waitOf = (seconds: number) =>
  seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;

/** Reads an HttpErrorResponse-like value (status, headers, error body) into an ApiError. */
export function toApiError(response: {
  status: number;
  error: unknown;
  headers?: { get(name: string): string | null };
}): ApiError {
  if (response.status === 0)
    return { code: 'network', message: describeError({ code: 'network' }) };
  const body = (response.error as { error?: { code?: string; details?: unknown } } | null)?.error;
  const code = (body?.code && body.code in SENTENCES ? body.code : 'internal') as ApiError['code'];
  const retryAfter = Number(response.headers?.get('Retry-After'));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined;
  const details = Array.isArray(body?.details) ? (body.details as ApiError['details']) : undefined;
  return { code, message: describeError({ code, retryAfterSeconds }), retryAfterSeconds, details };
}

/** The sentence to show for anything a call rejected with: an ApiError's own, else a generic one. */
export function errorSentence(error: unknown): string {
  return isApiError(error) ? error.message : describeError({ code: 'internal' });
}

export function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ApiError).code === 'string' &&
    typeof (value as ApiError).message === 'string'
  );
}
