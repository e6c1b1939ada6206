import { AppError, toAppError, type Logger } from '@parley/server-kit';
import type { ErrorRequestHandler, RequestHandler } from 'express';

export const notFound: RequestHandler = (req) => {
  throw new AppError('not_found', `No route for ${req.method} ${req.path}`);
};

// body-parser marks its errors with a `type`; these are the client's fault, never `internal`.
function fromBodyParser(error: unknown): AppError | undefined {
  const type = (error as { type?: unknown })?.type;
  if (type === 'entity.parse.failed')
    return new AppError('invalid_json', 'The body is not valid JSON');
  if (type === 'entity.too.large') {
    return new AppError('payload_too_large', 'The body is larger than 64 KiB');
  }
  if (typeof type === 'string' && (error as { status?: number }).status === 400) {
    return new AppError('validation_failed', 'The body could not be read');
  }
  if (typeof type === 'string' && (error as { status?: number }).status === 415) {
    return new AppError('validation_failed', 'Unsupported body encoding');
  }
  return undefined;
}

/** The one place errors become responses: the contract's JSON shape, no stack traces. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const appError = fromBodyParser(error) ?? toAppError(error);
    if (appError.code === 'internal' || appError.code === 'unavailable') {
      const log = (req as { log?: Logger }).log ?? logger;
      log.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
    }
    if (appError.retryAfterSeconds !== undefined) {
      res.set('Retry-After', String(appError.retryAfterSeconds));
    }
    if (res.headersSent) return;
    res.status(appError.status).json({ error: appError.toBody() });
  };
}
