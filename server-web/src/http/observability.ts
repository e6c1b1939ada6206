import { randomUUID } from 'node:crypto';
import { EVENT_LOOP_SAMPLE_MS, type Logger } from '@parley/server-kit';
import type { Express, Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

const REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * One JSON line per request once its response is sent or abandoned, with a request id taken from
 * X-Request-Id when sane (else made) and echoed back. Nothing is built for a line the level
 * drops: pino-http made a child logger per request, serializing and redacting the request even
 * then (about 130 of 330 µs of a cached page's CPU at LOG_LEVEL=warn).
 */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    res.locals.requestId = id;
    const startedAt = performance.now();
    res.once('close', () => {
      const isSent = res.writableFinished;
      const level =
        !isSent || res.statusCode < 400 ? 'info' : res.statusCode < 500 ? 'warn' : 'error';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          reqId: id,
          req: { method: req.method, url: req.originalUrl, remoteAddress: req.ip },
          res: { statusCode: res.statusCode },
          responseTime: Math.round(performance.now() - startedAt),
        },
        isSent ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}

export function createMetricsRegistry(prefix = 'parley_web_'): Registry {
  const registry = new Registry();
  collectDefaultMetrics({
    register: registry,
    prefix,
    eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
  });
  return registry;
}

const ROUTE = Symbol('route');

// Route templates, never raw paths, so room names do not explode the label set. The mount path
// is read when Express assigns req.route: by the time an error response finishes, the routers
// have already restored req.baseUrl. The accessor sits on the app's request prototype, defined
// once: one defined on each request gave every request a hidden class of its own, and the
// property reads of the whole middleware stack went megamorphic (about 30 us per request).
function trackRouteTemplates(app: Express): void {
  type TrackedRequest = Request & { [ROUTE]?: unknown };
  Object.defineProperty(app.request, 'route', {
    configurable: true,
    get(this: TrackedRequest) {
      return this[ROUTE];
    },
    set(this: TrackedRequest, value: { path?: unknown } | undefined) {
      this[ROUTE] = value;
      if (value && this.res) this.res.locals.routeTemplate = `${this.baseUrl}${String(value.path)}`;
    },
  });
}

/** Counts requests and records their latency by method, route and status. */
export function httpMetrics(app: Express, registry: Registry): RequestHandler {
  trackRouteTemplates(app);
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const route = (res.locals.routeTemplate as string | undefined) ?? 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      requests.inc(labels);
      end(labels);
    });
    next();
  };
}
