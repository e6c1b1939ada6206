/**
 * What this tab has written but the server has not stored yet, per user and room: the outbox and
 * the composer's draft. Kept in sessionStorage, so a reload, leaving the room, or signing in again
 * after the session ended loses none of it; the outbox's clientIds make the resend store each
 * message once. Signing out forgets it all (the next user of this tab must not see it).
 */
const PREFIX = 'parley.unsent.';

/** An outbox entry as kept between pages. */
export interface UnsentMessage {
  readonly clientId: string;
  readonly content: string;
  readonly username: string;
  readonly createdAt: string;
  readonly status: 'pending' | 'failed';
}

const outboxKey = (userId: number, room: string) => `${PREFIX}outbox.${userId}.${room}`;
const draftKey = (userId: number, room: string) => `${PREFIX}draft.${userId}.${room}`;

export function loadOutbox(userId: number, room: string): UnsentMessage[] {
  const stored = read(outboxKey(userId, room));
  return Array.isArray(stored) ? stored.filter(isUnsentMessage) : [];
}

export function saveOutbox(userId: number, room: string, messages: readonly UnsentMessage[]) {
  write(
    outboxKey(userId, room),
    messages.map(({ clientId, content, username, createdAt, status }) => ({
      clientId,
      content,
      username,
      createdAt,
      status,
    })),
  );
}

export function loadDraft(userId: number, room: string): string {
  const stored = read(draftKey(userId, room));
  return typeof stored === 'string' ? stored : '';
}

export function saveDraft(userId: number, room: string, text: string): void {
  write(draftKey(userId, room), text);
}

/** On sign-out: nothing of this user's stays in the tab. */
export function forgetUnsent(): void {
  const storage = sessionStorageOrNull();
  if (!storage) return;
  const keys = Array.from({ length: storage.length }, (_, index) => storage.key(index));
  for (const key of keys) if (key?.startsWith(PREFIX)) storage.removeItem(key);
}

function read(key: string): unknown {
  try {
    const text = sessionStorageOrNull()?.getItem(key);
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined; // not ours, or not JSON: start empty
  }
}

/** Empty values are removed rather than stored. A full or disabled storage keeps nothing. */
function write(key: string, value: unknown[] | string): void {
  try {
    const storage = sessionStorageOrNull();
    if (value.length === 0) storage?.removeItem(key);
    else storage?.setItem(key, JSON.stringify(value));
  } catch {
    // Quota exceeded or storage blocked: the page still works, only without this safety net.
  }
}

/** Reading `sessionStorage` itself throws where the browser blocks storage. */
function sessionStorageOrNull(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

function isUnsentMessage(value: unknown): value is UnsentMessage {
  const entry = value as Partial<UnsentMessage> | null;
  return (
    typeof entry?.clientId === 'string' &&
    typeof entry.content === 'string' &&
    typeof entry.username === 'string' &&
    typeof entry.createdAt === 'string' &&
    (entry.status === 'pending' || entry.status === 'failed')
  );
}
