import { isDbReachable, type Db } from '@parley/db';
import { Router } from 'express';
import type { Registry } from 'prom-client';

export function healthRouter(db: Db, metrics: Registry): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const isReady = await isDbReachable(db);
    res
      .status(isReady ? 200 : 503)
      .json(
        isReady
          ? { status: 'ready' }
          : { error: { code: 'unavailable', message: 'The database is not reachable' } },
      );
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });
  return router;
}
