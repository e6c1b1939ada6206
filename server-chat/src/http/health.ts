import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDbReachable } from '@parley/db';
import type { ChatDeps } from '../deps';

const json = (res: ServerResponse, status: number, body: unknown) => {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(body));
};

/** /healthz, /readyz and /metrics of the standalone chat service; anything else is a JSON 404. */
export function healthHandler(deps: Pick<ChatDeps, 'db' | 'metrics'>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      return (await isDbReachable(deps.db))
        ? json(res, 200, { status: 'ready' })
        : json(res, 503, {
            error: { code: 'unavailable', message: 'The database is not reachable' },
          });
    }
    if (req.method === 'GET' && path === '/metrics') {
      const { registry } = deps.metrics;
      res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
      return;
    }
    json(res, 404, { error: { code: 'not_found', message: 'Not found' } });
  };
}
