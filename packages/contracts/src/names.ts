import { z } from 'zod';
import { LIMITS } from './limits';

const utf8 = new TextEncoder();

/** Code points, not UTF-16 units: "4000 characters" means what a person counts. */
export function codePointLength(value: string): number {
  return Array.from(value).length;
}

// Letters of any script, digits, _ - . A combining mark (which some scripts need, e.g. हिन्दी)
// only after a letter or digit: marks are not letters, so a name of marks alone is refused.
const USERNAME_PATTERN = /^(?:[\p{L}\p{Nd}]\p{M}*|[_.-])+$/u;
const ROOM_NAME_PATTERN = USERNAME_PATTERN;

export const emailSchema = z
  .string()
  .trim()
  .max(LIMITS.emailMaxLength, `At most ${LIMITS.emailMaxLength} characters`)
  .pipe(z.email('Not a valid email address'));

export const usernameSchema = z
  .string()
  .transform((value) => value.normalize('NFC'))
  .refine((value) => {
    const length = codePointLength(value);
    return length >= LIMITS.usernameMinLength && length <= LIMITS.usernameMaxLength;
  }, `Between ${LIMITS.usernameMinLength} and ${LIMITS.usernameMaxLength} characters`)
  .refine((value) => USERNAME_PATTERN.test(value), 'Only letters, digits, _, - and .');

// NFC, so a password typed on a device that composes accents differently still matches.
export const passwordSchema = z
  .string()
  .transform((value) => value.normalize('NFC'))
  .refine(
    (value) => codePointLength(value) >= LIMITS.passwordMinLength,
    `At least ${LIMITS.passwordMinLength} characters`,
  )
  .refine(
    (value) => utf8.encode(value).length <= LIMITS.passwordMaxBytes,
    `At most ${LIMITS.passwordMaxBytes} bytes`,
  );

/** The canonical form of a room name: the only one stored and the only one a namespace uses. */
export function canonicalRoomName(raw: string): string {
  return raw.trim().normalize('NFC').toLowerCase().replace(/\s+/gu, '-');
}

export const roomNameSchema = z
  .string()
  .transform(canonicalRoomName)
  .refine(
    (value) => value.length > 0 && codePointLength(value) <= LIMITS.roomNameMaxLength,
    `Between 1 and ${LIMITS.roomNameMaxLength} characters`,
  )
  .refine((value) => ROOM_NAME_PATTERN.test(value), 'Only letters, digits, -, _ and .')
  // URLs resolve the path segments . and .. away (/api/rooms/.. is /api/): such a room could
  // be created but never opened, posted to or deleted.
  .refine((value) => value !== '.' && value !== '..', 'A room cannot be named . or ..');

// PostgreSQL text cannot hold NUL, and UTF-8 has no form for half of a surrogate pair (it would
// be stored as U+FFFD, not verbatim, and two clientIds differing only there would become one):
// such input is refused clearly rather than failing on insert or changing on the way in.
const UNPAIRED_SURROGATE = /\p{Cs}/u;

/** Message content: trimmed, then 1–4000 code points. */
export const messageContentSchema = z
  .string()
  .transform((value) => value.trim())
  .refine((value) => value.length > 0, 'A message cannot be empty')
  .refine((value) => !value.includes('\0'), 'A message cannot contain NUL characters')
  .refine(
    (value) => !UNPAIRED_SURROGATE.test(value),
    'A message cannot contain broken characters (half of a surrogate pair)',
  )
  .refine(
    (value) => codePointLength(value) <= LIMITS.messageMaxLength,
    `At most ${LIMITS.messageMaxLength} characters`,
  );

export const clientIdSchema = z
  .string()
  .min(1)
  .max(LIMITS.clientIdMaxLength)
  .refine(
    (value) => !value.includes('\0') && !UNPAIRED_SURROGATE.test(value),
    'A clientId cannot contain NUL or broken characters (half of a surrogate pair)',
  );
