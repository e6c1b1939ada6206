import { ERROR_STATUS, type AckError, type ErrorBody, type ErrorCode } from '@parley/contracts';

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

// Node socket errors, and PostgreSQL SQLSTATEs that mean "the database cannot be used now":
// 55000 is a database not accepting connections, 3D000 one that is gone.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '55000',
  '3D000',
]);
// SQLSTATE classes: 08 connection exception, 28 authorization refused, 53 insufficient resources
// (too many connections, disk full), 57 operator intervention (shutdown, cannot connect now).
const UNAVAILABLE_CLASSES = new Set(['08', '28', '53', '57']);

function isUnavailable(error: unknown): boolean {
  // Duck-typed rather than `instanceof Error`: errors may come from another realm (e.g. Jest's vm).
  if (typeof error !== 'object' || error === null) return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.has(code.slice(0, 2)))
  ) {
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

/**
 * What an ack, or a plain WebSocket error frame, says of `error`. The contract's ack codes have
 * no `internal`: a failure of ours reads `unavailable` there, which a client retries.
 */
export function ackErrorOf(error: AppError): AckError {
  return error.code === 'internal'
    ? { code: 'unavailable', message: 'Something went wrong on our side, try again soon' }
    : { code: error.code, message: error.message };
}

/** True for a PostgreSQL unique violation, optionally on one named constraint or index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = error as { code?: unknown; constraint?: unknown };
  return (
    pgError?.code === '23505' && (constraint === undefined || pgError.constraint === constraint)
  );
}
