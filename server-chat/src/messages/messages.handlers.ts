import { postMessageBodySchema } from '@parley/contracts';
import { AppError } from '@parley/server-kit';
import type { ChatDeps } from '../deps';
import type { RoomSocket } from '../socket/types';
import { withAck } from '../socket/with-ack';
import type { MessageWriter, RoomRef, WriteResult } from './message-writer';

/** An ack never waits longer: the client retries with the same clientId. */
export const ACK_DEADLINE_MS = 2_500;

type SendDeps = Pick<ChatDeps, 'messageLimiter' | 'metrics'> & { writer: MessageWriter };

/** Validated content from a signed-in user: rate limit, then group commit within the deadline. */
export async function sendMessage(
  deps: SendDeps,
  room: RoomRef,
  sender: { userId: number; username: string },
  body: { content: string; clientId?: string | undefined },
): Promise<WriteResult> {
  const stopTimer = deps.metrics.ackLatency.startTimer();
  await deps.messageLimiter.consume(sender.userId);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError('unavailable', 'Could not store the message in time, retry')),
      ACK_DEADLINE_MS,
    );
  });
  try {
    const draft = { ...sender, content: body.content, clientId: body.clientId ?? null };
    return await Promise.race([deps.writer.submit(room, draft), deadline]);
  } finally {
    clearTimeout(timer);
    stopTimer();
  }
}

export function registerMessageHandlers(
  socket: RoomSocket,
  deps: SendDeps & Pick<ChatDeps, 'logger'>,
) {
  socket.on(
    'message',
    withAck(
      postMessageBodySchema,
      async (body) => {
        const { session, room } = socket.data;
        const { message } = await sendMessage(deps, room, session, body);
        return { message };
      },
      deps.logger,
    ),
  );
}
