import { randomUUID } from 'node:crypto';
import { roomNamespace } from '@parley/contracts';
import jwt from 'jsonwebtoken';
import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { startWebApp, TEST_SECRET, uniqueName, type WebApp } from '../../test/support/web-app';
import { roomOf, signUpMember, type Member } from './chat-fixture';
import { closeAllClients, connect, tryConnect, type Outcome } from './socket-client';

const TRANSPORTS = ['websocket', 'polling'] as const;
const FOREIGN_ORIGIN = 'https://evil.example';

let app: WebApp;
let node: ChatNode;
let member: Member;
beforeAll(async () => {
  app = await startWebApp();
  node = await startChatNode();
  member = await signUpMember(app);
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await node?.close();
  await app?.close();
});

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token the website service would sign, except for whatever `overrides` changes. */
function forgeToken(
  user: Member,
  overrides: { secret?: string; exp?: number; algorithm?: jwt.Algorithm } = {},
): string {
  return jwt.sign(
    {
      username: user.username,
      iat: nowSeconds() - 120,
      exp: overrides.exp ?? nowSeconds() + 3600,
    },
    overrides.secret ?? TEST_SECRET,
    {
      algorithm: overrides.algorithm ?? 'HS256',
      subject: String(user.account.user.id),
      jwtid: randomUUID(),
    },
  );
}

/** An unsigned token (`alg: none`) with a valid-looking payload. */
function unsignedToken(user: Member): string {
  const header = base64url({ alg: 'none', typ: 'JWT' });
  const payload = base64url({
    sub: String(user.account.user.id),
    username: user.username,
    jti: randomUUID(),
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
  });
  return `${header}.${payload}.`;
}

/** The handshake's outcome must be a refusal with `message`, and no room event may follow it. */
function expectRefused(result: Outcome, message: string): void {
  expect(result.outcome).toBe('connect_error');
  if (result.outcome === 'connect_error') expect(result.error.message).toBe(message);
  expect(result.client.socket.connected).toBe(false);
  expect(result.client.of('history')).toEqual([]);
}

describe.each(TRANSPORTS)('a Socket.IO handshake over %s', (transport) => {
  describe('when the session is not valid, then it is refused as unauthorized', () => {
    it('when no token is given', async () => {
      const room = await roomOf(member);

      const result = await tryConnect(node.url, room.name, { transport });

      expectRefused(result, 'unauthorized');
    });

    it('when the token is garbage', async () => {
      const room = await roomOf(member);

      const result = await tryConnect(node.url, room.name, { transport, token: 'not-a-jwt' });

      expectRefused(result, 'unauthorized');
    });

    it('when the token is signed with another secret', async () => {
      const room = await roomOf(member);
      const token = forgeToken(member, { secret: 'another-secret-that-is-at-least-32-bytes!' });

      const result = await tryConnect(node.url, room.name, { transport, token });

      expectRefused(result, 'unauthorized');
    });

    it('when the token is signed with the right secret but another algorithm (HS512)', async () => {
      const room = await roomOf(member);
      const token = forgeToken(member, { algorithm: 'HS512' });

      const result = await tryConnect(node.url, room.name, { transport, token });

      expectRefused(result, 'unauthorized');
    });

    it('when the token is unsigned (alg none)', async () => {
      const room = await roomOf(member);

      const result = await tryConnect(node.url, room.name, {
        transport,
        token: unsignedToken(member),
      });

      expectRefused(result, 'unauthorized');
    });

    it('when the token has expired', async () => {
      const room = await roomOf(member);
      const token = forgeToken(member, { exp: nowSeconds() - 60 });

      const result = await tryConnect(node.url, room.name, { transport, token });

      expectRefused(result, 'unauthorized');
    });

    it('when the token was revoked by logging out', async () => {
      const leaving = await signUpMember(app);
      const room = await roomOf(leaving);
      const logout = await leaving.rest.post('/api/auth/logout');
      expect(logout.status).toBe(204);

      const result = await tryConnect(node.url, room.name, { transport, token: leaving.token });

      expectRefused(result, 'unauthorized');
    });
  });

  describe('when the room is not a stored room name, then it is refused as room_not_found', () => {
    it('when no room has that name', async () => {
      const result = await tryConnect(node.url, uniqueName('nowhere'), {
        transport,
        token: member.token,
      });

      expectRefused(result, 'room_not_found');
    });

    it('when the name differs from the stored one only in case', async () => {
      const room = await roomOf(member, uniqueName('General'));
      expect(room.name).toBe(room.name.toLowerCase());

      const result = await tryConnect(node.url, room.name.toUpperCase(), {
        transport,
        token: member.token,
      });

      expectRefused(result, 'room_not_found');
    });

    it('when the name is the raw form (spaces) the room was created with', async () => {
      const typed = `Team ${uniqueName('Chat')}`;
      const room = await roomOf(member, typed);
      expect(room.name).toBe(typed.toLowerCase().replace(' ', '-'));

      const result = await tryConnect(node.url, typed, { transport, token: member.token });

      expectRefused(result, 'room_not_found');
    });

    it('when the name is the decomposed (NFD) form of a stored NFC name', async () => {
      const room = await roomOf(member, uniqueName('phòng-họp'));
      const decomposed = room.name.normalize('NFD');
      expect(decomposed).not.toBe(room.name);

      const result = await tryConnect(node.url, decomposed, { transport, token: member.token });

      expectRefused(result, 'room_not_found');
    });
  });

  describe('the session may come from either place', () => {
    it('when the token is given as auth.token, then it connects and receives the history', async () => {
      const room = await roomOf(member);

      const result = await tryConnect(node.url, room.name, { transport, token: member.token });

      expect(result.outcome).toBe('connect');
      await result.client.waitFor(() => result.client.of('history').length > 0);
    });

    it('when the token is only in the access_token cookie, then it connects and receives the history', async () => {
      const room = await roomOf(member);

      const result = await tryConnect(node.url, room.name, {
        transport,
        headers: { cookie: member.account.cookie },
      });

      expect(result.outcome).toBe('connect');
      await result.client.waitFor(() => result.client.of('presence').length > 0);
      expect(result.client.of('history')).toHaveLength(1);
      expect(result.client.of('presence').at(-1)?.users).toContain(member.username);
    });
  });

  describe('the Origin header', () => {
    it('when the Origin is a foreign site, then the handshake does not connect and no history arrives', async () => {
      const room = await roomOf(member);

      const result = await tryConnect(node.url, room.name, {
        transport,
        token: member.token,
        headers: { origin: FOREIGN_ORIGIN },
      });

      // Refused in allowRequest the transport itself fails; refused in the middleware the
      // message is forbidden_origin: either way nothing of the room may reach that client.
      expect(result.outcome).toBe('connect_error');
      if (result.outcome === 'connect_error') {
        expect(['unauthorized', 'room_not_found']).not.toContain(result.error.message);
      }
      expect(result.client.socket.connected).toBe(false);
      expect(result.client.events.filter((entry) => entry.event !== 'disconnect')).toEqual([]);
    });

    it('when there is no Origin header (a Node client), then it connects', async () => {
      const room = await roomOf(member);

      const result = await tryConnect(node.url, room.name, { transport, token: member.token });

      expect(result.outcome).toBe('connect');
    });

    it('when the Origin is the origin the chat service is served on, then it connects', async () => {
      const room = await roomOf(member);

      const result = await tryConnect(node.url, room.name, {
        transport,
        token: member.token,
        headers: { origin: node.url },
      });

      expect(result.outcome).toBe('connect');
    });
  });
});

test('when a socket has connected, then the node no longer holds its token (nor hands it to other nodes)', async () => {
  // Arrange
  const room = await roomOf(member);

  // Act
  await connect(node.url, room.name, { token: member.token, lastSeq: 0 });

  // Assert: what fetchSockets (and so presence across nodes) sees of the socket.
  const [socket] = await node.io.of(roomNamespace(room.name)).fetchSockets();
  expect(socket?.data.session.username).toBe(member.username);
  expect(socket?.handshake.auth).toEqual({ lastSeq: 0 });
  expect(JSON.stringify(socket?.handshake)).not.toContain(member.token);
});

describe('a chat node with ALLOWED_ORIGINS set', () => {
  let configured: ChatNode;
  beforeAll(async () => {
    configured = await startChatNode({ ALLOWED_ORIGINS: 'https://parley.example' });
  });
  afterAll(() => configured?.close());

  it.each(TRANSPORTS)(
    'when a browser on the allowed origin connects over %s, then it is accepted',
    async (transport) => {
      const room = await roomOf(member);

      const client = await connect(configured.url, room.name, {
        transport,
        token: member.token,
        headers: { origin: 'https://parley.example' },
      });

      await client.waitFor(() => client.of('history').length > 0);
    },
  );

  it.each(TRANSPORTS)(
    'when a page on another origin connects over %s, then nothing of the room reaches it',
    async (transport) => {
      const room = await roomOf(member);

      const result = await tryConnect(configured.url, room.name, {
        transport,
        token: member.token,
        headers: { origin: 'https://parley.example.evil.example' },
      });

      expect(result.outcome).toBe('connect_error');
      expect(result.client.events.filter((entry) => entry.event !== 'disconnect')).toEqual([]);
    },
  );
});
