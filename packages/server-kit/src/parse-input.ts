import { AppError } from './app-error';
import type { z } from 'zod';

/** Parses input with a contract schema; failures become 400 `validation_failed` with details. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));
  throw new AppError('validation_failed', 'Some fields are not valid', details);
}
