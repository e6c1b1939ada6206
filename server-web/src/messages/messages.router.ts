import { parseInput } from '@parley/server-kit';
import { historyQuerySchema, postMessageBodySchema } from '@parley/contracts';
import { Router } from 'express';
import { sessionOf } from '../http/session';
import type { createMessagesService } from './messages.service';

type MessagesService = ReturnType<typeof createMessagesService>;

/** Mounted under /api/rooms/:name/messages. */
export function messagesRouter(messages: MessagesService): Router {
  const router = Router({ mergeParams: true });

  router.get('/', async (req, res) => {
    const { name } = req.params as { name: string };
    res.json({ messages: await messages.history(name, parseInput(historyQuerySchema, req.query)) });
  });

  router.post('/', async (req, res) => {
    const { name } = req.params as { name: string };
    const body = parseInput(postMessageBodySchema, req.body);
    res.status(201).json({ message: await messages.post(name, body, sessionOf(res)) });
  });

  return router;
}
