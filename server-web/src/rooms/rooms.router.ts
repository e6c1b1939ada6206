import { parseInput } from '@parley/server-kit';
import { createRoomBodySchema, listRoomsQuerySchema } from '@parley/contracts';
import { Router } from 'express';
import type { AppDeps } from '../deps';
import { sessionOf } from '../http/session';
import type { RoomsService } from './rooms.service';

export function roomsRouter(deps: AppDeps, rooms: RoomsService): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.json(await rooms.list(parseInput(listRoomsQuerySchema, req.query)));
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
