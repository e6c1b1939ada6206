import { parseInput } from '@parley/server-kit';
import { historyQuerySchema, postMessageBodySchema } from '@parley/contracts';
import { Router } from 'express';
import { sendCached, type ResponseCache } from '../http/response-cache';
import { sessionOf } from '../http/session';
import { historyScope } from '../rooms/room-reads';
import type { createMessagesService } from './messages.service';

type MessagesService = ReturnType<typeof createMessagesService>;

/**
 * Mounted under /api/rooms, after the session check: the full path is a route of its own, so a
 * history read passes no further router, and metrics see the template, never the room's name.
 */
export function messagesRouter(messages: MessagesService, cache: ResponseCache): Router {
  const router = Router();

  router.get('/:name/messages', async (req, res) => {
    const { name } = req.params;
    const query = parseInput(historyQuerySchema, req.query);
    const key = `${query.beforeSeq ?? ''}|${query.afterSeq ?? ''}|${query.limit}`;
    const page = await cache.read(historyScope(name), key, async () => {
      const { messages: found, isFinal, isCatchingUp } = await messages.history(name, query);
      const keep = isFinal ? 'until-deleted' : isCatchingUp ? 'never' : 'until-changed';
      return { body: { messages: found }, keep };
    });
    sendCached(req, res, page);
  });

  router.post('/:name/messages', async (req, res) => {
    const { name } = req.params;
    const body = parseInput(postMessageBodySchema, req.body);
    res.status(201).json({ message: await messages.post(name, body, sessionOf(res)) });
  });

  return router;
}
