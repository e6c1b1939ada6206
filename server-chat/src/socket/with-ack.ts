import type { AckError } from '@parley/contracts';
import { ackErrorOf, parseInput, toAppError, type Logger } from '@parley/server-kit';
import type { z } from 'zod';

type AckResponse<T> = ({ ok: true } & T) | { ok: false; error: AckError };

/**
 * Wraps an acknowledged event: parse the payload with `schema` → run → ack `{ok: true, …result}`
 * or `{ok: false, error}`. Events sent without an ack callback are ignored.
 */
export function withAck<S extends z.ZodType, T extends object>(
  schema: S,
  run: (input: z.output<S>) => Promise<T>,
  logger: Logger,
) {
  return (payload: unknown, ack?: unknown): void => {
    if (typeof ack !== 'function') return;
    const reply = ack as (response: AckResponse<T>) => void;
    Promise.resolve()
      .then(() => run(parseInput(schema, payload)))
      .then(
        (result) => reply({ ok: true, ...result }),
        (error: unknown) => {
          const appError = toAppError(error);
          if (appError.code === 'internal') logger.error({ err: error }, 'socket event failed');
          reply({ ok: false, error: ackErrorOf(appError) });
        },
      );
  };
}
