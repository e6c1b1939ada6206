import { z } from 'zod';
import { LIMITS } from './limits';
import {
  clientIdSchema,
  emailSchema,
  messageContentSchema,
  passwordSchema,
  roomNameSchema,
  usernameSchema,
} from './names';

export const registerBodySchema = z.object({
  email: emailSchema,
  username: usernameSchema,
  password: passwordSchema,
});

export const loginBodySchema = z.object({
  email: emailSchema,
  // NFC as at sign-up, so the very string signed up with matches. Longer than the 72 bytes a
  // password may have is a wrong password (bcrypt would compare only its first 72): the service
  // refuses it as one; the bound here only keeps absurd bodies out.
  password: z
    .string()
    .min(1)
    .max(LIMITS.passwordMaxBytes * 4)
    .transform((value) => value.normalize('NFC')),
});

export const createRoomBodySchema = z.object({ name: roomNameSchema });

export const postMessageBodySchema = z.object({
  content: messageContentSchema,
  clientId: clientIdSchema.optional(),
});

const pageLimit = (fallback: number) =>
  z.coerce.number().int().min(1).max(LIMITS.pageLimitMax).default(fallback);

const seqParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const listRoomsQuerySchema = z.object({
  q: z
    .string()
    .max(LIMITS.roomNameMaxLength * 4)
    .optional(),
  limit: pageLimit(LIMITS.roomsPageDefault),
  cursor: z.string().max(512).optional(),
});

export const historyQuerySchema = z
  .object({
    beforeSeq: seqParam.optional(),
    afterSeq: seqParam.optional(),
    limit: pageLimit(LIMITS.messagesPageDefault),
  })
  .refine((query) => query.beforeSeq === undefined || query.afterSeq === undefined, {
    message: 'Give beforeSeq or afterSeq, not both',
  });

export type RegisterBody = z.infer<typeof registerBodySchema>;
export type LoginBody = z.infer<typeof loginBodySchema>;
export type CreateRoomBody = z.infer<typeof createRoomBodySchema>;
export type PostMessageBody = z.infer<typeof postMessageBodySchema>;
export type ListRoomsQuery = z.infer<typeof listRoomsQuerySchema>;
export type HistoryQuery = z.infer<typeof historyQuerySchema>;
