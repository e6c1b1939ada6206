import { parseInput } from '@parley/server-kit';
import { createRoomBodySchema, listRoomsQuerySchema } from '@parley/contracts';
import { Router } from 'express';
import type { AppDeps } from '../deps';
import { sendCached } from '../http/response-cache';
import { sessionOf } from '../http/session';
import { SEARCH_SCOPE } from './room-reads';
import type { RoomsService } from './rooms.service';

export function roomsRouter(deps: AppDeps, rooms: RoomsService): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const query = parseInput(listRoomsQuerySchema, req.query);
    const key = JSON.stringify([query.q ?? null, query.cursor ?? null, query.limit]);
    const page = await deps.readCache.read(SEARCH_SCOPE, key, async () => ({
      body: await rooms.list(query),
      keep: 'until-changed',
    }));
    sendCached(req, res, page);
  });

  router.post('/', async (req, res) => {
    await deps.requestLimiter(`create-room|${req.ip}`);
    const { name } = parseInput(createRoomBodySchema, req.body);
    res.status(201).json({ room: await rooms.create(name, sessionOf(res)) });
  });

  router.get('/:name', async (req, res) => {
    res.json({ room: await rooms.get(req.params.name) });
  });

  router.delete('/:name', async (req, res) => {
    await rooms.delete(req.params.name, sessionOf(res));
    res.status(204).end();
  });

  return router;
}
