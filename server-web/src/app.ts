import path from 'node:path';
import { LIMITS } from '@parley/contracts';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { authRouter } from './auth/auth.router';
import type { AppDeps } from './deps';
import { healthRouter } from './health/health.router';
import { errorHandler, notFound } from './http/errors';
import { httpMetrics, requestLogging } from './http/observability';
import { originCheck } from './http/origin-check';
import { requireSession } from './http/session';
import { messagesRouter } from './messages/messages.router';
import { createMessagesService } from './messages/messages.service';
import { roomsRouter } from './rooms/rooms.router';
import { createRoomsService } from './rooms/rooms.service';

export type { AppDeps, LimitOverrides } from './deps';
export { createDeps } from './deps';

/** What a page of ours may load and who may frame it: its own origin only, never in a frame. */
const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  // Angular writes component styles into <style> elements.
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
};

/** The website service: REST API, health and metrics, and the built client when given. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.use(requestLogging(deps.logger));
  app.use(httpMetrics(app, deps.metrics));
  app.use(
    helmet({
      // TLS is terminated by nginx, which sends HSTS; here plain HTTP (npm start) must keep working.
      strictTransportSecurity: false,
      // nginx's policy (nginx/parley.conf.template), for `npm start`, where no nginx is in front.
      contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
      frameguard: { action: 'deny' },
    }),
  );
  // The API first: its requests then pass no other router's routes.
  app.use('/api', apiRouter(deps), notFound);
  app.use(healthRouter(deps.db, deps.metrics));
  if (deps.staticDir) {
    // Built files have content hashes in their names: cache them for good. The shell never.
    app.use(express.static(deps.staticDir, { index: false, maxAge: '1y', immutable: true }));
    // Client-side routes (/rooms/x) all load the app shell.
    app.get('/{*path}', (_req, res) => {
      res.set('Cache-Control', 'no-cache');
      res.sendFile(path.join(deps.staticDir!, 'index.html'));
    });
  } else {
    app.get('/', (_req, res) => {
      res
        .type('text/plain')
        .send('Parley API: see /api/rooms, /api/auth/*, /healthz, /readyz, /metrics\n');
    });
  }
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}

function apiRouter(deps: AppDeps): express.Router {
  const api = express.Router();
  const session = requireSession(deps.config.jwtSecret, deps.revocations);
  const rooms = createRoomsService(deps);
  api.use(originCheck(deps.config.allowedOrigins));
  api.use(express.json({ limit: LIMITS.restBodyMaxBytes }));
  api.use(cookieParser());
  api.use('/auth', authRouter(deps));
  api.use(
    '/rooms',
    session,
    messagesRouter(createMessagesService(deps, rooms), deps.readCache),
    roomsRouter(deps, rooms),
  );
  return api;
}
