import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@parley/contracts';

/** The one error type the domain throws; the entry points map it to HTTP or to an ack. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds until a retry may succeed; sent as Retry-After with rate_limited. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

// Node socket errors and PostgreSQL SQLSTATE classes that mean "the database is not reachable".
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

function isUnavailable(error: unknown): boolean {
  // Duck-typed rather than `instanceof Error`: errors may come from another realm (e.g. Jest's vm).
  if (typeof error !== 'object' || error === null) return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) {
    return true;
  }
  return (
    name === 'KnexTimeoutError' ||
    (typeof message === 'string' &&
      // "timeout expired": pg.Client giving up connecting (connectionTimeoutMillis), as knex's
      // pool does when the database host stops answering.
      /Connection terminated|connection timeout|timeout expired|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error/i.test(
        message,
      ))
  );
}

/** Maps anything thrown to the AppError a client may see; unknown errors become `internal`. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // 22021: a character PostgreSQL cannot store (NUL) in input no schema has caught.
  if ((error as { code?: unknown } | null)?.code === '22021') {
    return new AppError('validation_failed', 'The input contains characters that cannot be stored');
  }
  if (isUnavailable(error)) {
    return new AppError('unavailable', 'The service is temporarily unavailable, try again soon');
  }
  return new AppError('internal', 'Something went wrong on our side');
}

/** True for a PostgreSQL unique violation, optionally on one named constraint or index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = error as { code?: unknown; constraint?: unknown };
  return (
    pgError?.code === '23505' && (constraint === undefined || pgError.constraint === constraint)
  );
}
