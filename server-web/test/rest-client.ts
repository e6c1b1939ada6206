import type { Message, Room, User } from '@parley/contracts';
import { uniqueName, type WebApp } from '../../test/support/web-app';

/** Every field a REST answer of the rooms and messages API may carry. */
export interface ApiBody {
  user?: User;
  room?: Room;
  rooms?: Room[];
  nextCursor?: string | null;
  message?: Message;
  messages?: Message[];
  error?: { code: string; message: string; details?: { path: string; message: string }[] };
}

export interface ApiResponse {
  status: number;
  body: ApiBody;
  headers: Headers;
}

export interface Account {
  /** `access_token=<jwt>`, ready for a Cookie header. */
  cookie: string;
  token: string;
  user: User;
}

type Target = Pick<WebApp, 'url'>;
type Query = Record<string, string | number>;

/** Registers a new user with a unique name and returns their session. */
export async function signUp(app: Target, prefix = 'user'): Promise<Account> {
  const username = uniqueName(prefix);
  const response = await fetch(`${app.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${username}@example.org`, username, password: 'password1' }),
  });
  if (response.status !== 201) {
    throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  }
  const cookie = response.headers
    .getSetCookie()
    .find((header) => header.startsWith('access_token='))!
    .split(';')[0]!;
  const { user } = (await response.json()) as { user: User };
  return { cookie, token: cookie.slice('access_token='.length), user };
}

export const roomPath = (name: string) => `/api/rooms/${encodeURIComponent(name)}`;
export const messagesPath = (name: string) => `${roomPath(name)}/messages`;

/** A small REST client; without a cookie it calls as an anonymous visitor. */
export function api(app: Target, cookie?: string) {
  const send = async (
    method: string,
    path: string,
    options: { query?: Query; json?: unknown; rawBody?: string } = {},
  ): Promise<ApiResponse> => {
    const url = new URL(path, app.url);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {};
    if (cookie) headers.cookie = cookie;
    const body =
      options.rawBody ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : {}) as ApiBody,
      headers: response.headers,
    };
  };
  return {
    get: (path: string, query?: Query) => send('GET', path, { query }),
    post: (path: string, json?: unknown) => send('POST', path, { json }),
    /** Posts the body exactly as given (e.g. oversized or malformed JSON). */
    postRaw: (path: string, rawBody: string) => send('POST', path, { rawBody }),
    delete: (path: string) => send('DELETE', path),
  };
}

export type ApiClient = ReturnType<typeof api>;

/** Arrange step: a new room owned by the client's user (fails loudly when refused). */
export async function createRoom(client: ApiClient, name = uniqueName('room')): Promise<Room> {
  const response = await client.post('/api/rooms', { name });
  if (response.status !== 201) {
    throw new Error(
      `creating room ${name} failed: ${response.status} ${JSON.stringify(response.body)}`,
    );
  }
  return response.body.room!;
}

/** Arrange step: posts one message and returns it (fails loudly when refused). */
export async function postMessage(
  client: ApiClient,
  roomName: string,
  content: string,
  clientId?: string,
): Promise<Message> {
  const response = await client.post(messagesPath(roomName), { content, clientId });
  if (response.status !== 201) {
    throw new Error(
      `posting to ${roomName} failed: ${response.status} ${JSON.stringify(response.body)}`,
    );
  }
  return response.body.message!;
}
