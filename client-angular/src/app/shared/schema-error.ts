import type { z } from 'zod';

/**
 * The first message a contract schema gives for a value, or null when the value is valid. A blank
 * value gets `whenBlank`, when given: it asks for the field rather than calling it invalid.
 */
export function schemaError(schema: z.ZodType, value: unknown, whenBlank?: string): string | null {
  if (whenBlank !== undefined && typeof value === 'string' && value.trim() === '') return whenBlank;
  const result = schema.safeParse(value);
  return result.success ? null : (result.error.issues[0]?.message ?? 'Not valid');
}
