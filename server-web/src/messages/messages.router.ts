import { parseInput } from '@parley/server-kit';
import { historyQuerySchema, postMessageBodySchema } from '@parley/contracts';
import { Router } from 'express';
import { sendCached, type ResponseCache } from '../http/response-cache';
import { sessionOf } from '../http/session';
import { historyScope } from '../rooms/room-reads';
import type { createMessagesService } from './messages.service';

type MessagesService = ReturnType<typeof createMessagesService>;

/** Mounted under /api/rooms/:name/messages. */
export function messagesRouter(messages: MessagesService, cache: ResponseCache): Router {
  const router = Router({ mergeParams: true });

  router.get('/', async (req, res) => {
    const { name } = req.params as { name: string };
    const query = parseInput(historyQuerySchema, req.query);
    const key = `${query.beforeSeq ?? ''}|${query.afterSeq ?? ''}|${query.limit}`;
    const page = await cache.read(historyScope(name), key, async () => {
      const { messages: found, isFinal } = await messages.history(name, query);
      return { body: { messages: found }, isFinal };
    });
    sendCached(req, res, page);
  });

  router.post('/', async (req, res) => {
    const { name } = req.params as { name: string };
    const body = parseInput(postMessageBodySchema, req.body);
    res.status(201).json({ message: await messages.post(name, body, sessionOf(res)) });
  });

  return router;
}
