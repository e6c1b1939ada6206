import { AppError, toAppError, type Logger } from '@parley/server-kit';
import type { ErrorRequestHandler, RequestHandler } from 'express';

export const notFound: RequestHandler = (req) => {
  // baseUrl: under app.use('/api', …) req.path has lost the /api the client asked for.
  throw new AppError('not_found', `No route for ${req.method} ${req.baseUrl}${req.path}`);
};

// body-parser and the router raise http-errors with a 4xx status (bad JSON, a body too large,
// a malformed percent-encoding in the path): the client's fault, never `internal`.
function fromHttpError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
  if (type === 'entity.parse.failed')
    return new AppError('invalid_json', 'The body is not valid JSON');
  if (status === 413) return new AppError('payload_too_large', 'The body is larger than 64 KiB');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError('validation_failed', 'The request could not be read');
  }
  return undefined;
}

/** The one place errors become responses: the contract's JSON shape, no stack traces. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const appError = fromHttpError(error) ?? toAppError(error);
    if (appError.code === 'internal' || appError.code === 'unavailable') {
      const reqId = res.locals.requestId as string | undefined;
      logger.error(
        { err: error, reqId, method: req.method, url: req.originalUrl },
        'request failed',
      );
    }
    if (appError.retryAfterSeconds !== undefined) {
      res.set('Retry-After', String(appError.retryAfterSeconds));
    }
    if (res.headersSent) return;
    res.status(appError.status).json({ error: appError.toBody() });
  };
}
