import { AppError, isOriginAllowed } from '@parley/server-kit';
import type { Request, RequestHandler } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin this request was served on, as a browser on it would send it. */
export function servingOrigin(req: Request): string {
  return `${req.protocol}://${req.host}`;
}

/**
 * Refuses state-changing requests whose Origin is not allowed (cross-site request forgery).
 * Requests without an Origin come from non-browser clients and pass.
 */
export function originCheck(allowedOrigins: string[]): RequestHandler {
  return (req, _res, next) => {
    const origin = req.get('origin');
    if (SAFE_METHODS.has(req.method) || origin === undefined) return next();
    if (!isOriginAllowed(origin, allowedOrigins, servingOrigin(req))) {
      throw new AppError('forbidden_origin', 'Requests from this origin are not allowed');
    }
    next();
  };
}
