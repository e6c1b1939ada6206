import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import { roomPath } from '../../server-web/test/rest-client';
import { roomOf, roomRowOf, rowsOf, signUpMember, type Member } from './chat-fixture';
import {
  acked,
  closeAllClients,
  messagesBefore,
  sendMarker,
  tryConnect,
  type ChatClient,
  connectLive,
} from './socket-client';

let app: WebApp;
let node: ChatNode;
beforeAll(async () => {
  app = await startWebApp();
  node = await startChatNode();
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await node?.close();
  await app?.close();
});

function join(member: Member, roomName: string, token = member.token): Promise<ChatClient> {
  return connectLive(node.url, roomName, { token });
}

/** Where each event sits in the client's log (-1 when it never came). */
const positionOf = (client: ChatClient, event: string) =>
  client.events.findIndex((entry) => entry.event === event);

describe('deleting a room', () => {
  it('when the owner deletes the room over REST, then every client gets room_deleted and is disconnected, and cannot come back', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const otherRoom = await roomOf(bob);
    const aliceTab = await join(alice, room.name);
    const bobTab = await join(bob, room.name);
    const elsewhere = await join(bob, otherRoom.name);
    acked(await aliceTab.send('soon gone'));

    const response = await alice.rest.delete(roomPath(room.name));

    expect(response.status).toBe(204);
    for (const client of [aliceTab, bobTab]) {
      await client.disconnected();
      expect(client.of('room_deleted')).toEqual([{ name: room.name }]);
      expect(positionOf(client, 'room_deleted')).toBeLessThan(positionOf(client, 'disconnect'));
      expect(client.events.at(-1)).toEqual(
        expect.objectContaining({ event: 'disconnect', payload: 'io server disconnect' }),
      );
    }
    expect(await roomRowOf(app, room.id)).toBeUndefined();
    expect(await rowsOf(app, room.id)).toEqual([]);

    const again = await tryConnect(node.url, room.name, { token: bob.token });
    expect(again.outcome).toBe('connect_error');
    if (again.outcome === 'connect_error') expect(again.error.message).toBe('room_not_found');

    // Clients of other rooms notice nothing.
    expect(elsewhere.of('room_deleted')).toEqual([]);
    const marker = await sendMarker(elsewhere, [elsewhere]);
    expect(marker.roomId).toBe(otherRoom.id);
    expect(elsewhere.socket.connected).toBe(true);
  });

  it('when a member sends just after the deletion committed, then the send is never acked ok and nothing is stored', async () => {
    const alice = await signUpMember(app, 'alice');
    const room = await roomOf(alice);
    const aliceTab = await join(alice, room.name);
    expect((await alice.rest.delete(roomPath(room.name))).status).toBe(204);

    // Racing the room_deleted notice: the node either refuses the send or has already
    // disconnected the socket (the pending ack then fails on the client side).
    const outcome = await aliceTab.send('too late').then(
      (ack) => ack,
      (error: Error) => error.message,
    );

    expect(outcome).not.toEqual(expect.objectContaining({ ok: true }));
    if (typeof outcome === 'object') {
      expect(outcome).toEqual({
        ok: false,
        error: { code: 'room_not_found', message: expect.any(String) as string },
      });
    }
    expect(await rowsOf(app, room.id)).toEqual([]);
    await aliceTab.disconnected();
  });

  it('when someone else than the owner tries to delete the room, then it is refused and nobody is disconnected', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const aliceTab = await join(alice, room.name);
    const bobTab = await join(bob, room.name);

    const response = await bob.rest.delete(roomPath(room.name));

    expect(response.status).toBe(403);
    const marker = await sendMarker(aliceTab, [aliceTab, bobTab]);
    for (const client of [aliceTab, bobTab]) {
      expect(client.of('room_deleted')).toEqual([]);
      expect(client.socket.connected).toBe(true);
      expect(messagesBefore(client, marker)).toEqual([]);
    }
    expect(await roomRowOf(app, room.id)).toBeDefined();
  });
});

describe('logging out', () => {
  it('when a user logs out over REST, then the sockets of that token are disconnected within 2 s and other sessions stay', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const login = await alice.rest.post('/api/auth/login', {
      email: alice.account.user.email,
      password: 'password1',
    });
    expect(login.status).toBe(200);
    const aliceOtherSession = (login.body as { token: string }).token;
    const aliceTab1 = await join(alice, room.name);
    const aliceTab2 = await join(alice, room.name);
    const aliceOtherDevice = await join(alice, room.name, aliceOtherSession);
    const bobTab = await join(bob, room.name);

    const loggedOutAt = Date.now();
    const response = await alice.rest.post('/api/auth/logout');

    expect(response.status).toBe(204);
    for (const tab of [aliceTab1, aliceTab2]) {
      const disconnectedAt = await tab.disconnected(3_000);
      expect(disconnectedAt - loggedOutAt).toBeLessThan(2_000);
      expect(tab.events.at(-1)).toEqual(
        expect.objectContaining({ event: 'disconnect', payload: 'io server disconnect' }),
      );
    }
    const marker = await sendMarker(bobTab, [bobTab, aliceOtherDevice]);
    expect(bobTab.socket.connected).toBe(true);
    expect(aliceOtherDevice.socket.connected).toBe(true);
    expect(acked(await aliceOtherDevice.send('still here')).seq).toBe(marker.seq + 1);
    expect((await rowsOf(app, room.id)).map((row) => row.username)).toEqual([
      bob.username,
      alice.username,
    ]);
  });
});

describe('token expiry', () => {
  let shortApp: WebApp;
  let shortNode: ChatNode;
  beforeAll(async () => {
    shortApp = await startWebApp({ JWT_TTL: '3' });
    shortNode = await startChatNode({ JWT_TTL: '3' });
  });
  afterAll(async () => {
    await shortNode?.close();
    await shortApp?.close();
  });

  it('when the token of a connected socket expires, then the socket is disconnected then', async () => {
    const carol = await signUpMember(shortApp, 'carol');
    const room = await roomOf(carol);
    const { exp } = JSON.parse(
      Buffer.from(carol.token.split('.')[1]!, 'base64url').toString('utf8'),
    ) as { exp: number };
    const client = await connectLive(shortNode.url, room.name, { token: carol.token });

    const disconnectedAt = await client.disconnected(6_000);

    // The token is valid up to exp (whole seconds); a little slack for the node's timer.
    expect(disconnectedAt).toBeGreaterThanOrEqual(exp * 1000 - 100);
    expect(disconnectedAt).toBeLessThan(exp * 1000 + 2_000);
    expect(client.events.at(-1)).toEqual(
      expect.objectContaining({ event: 'disconnect', payload: 'io server disconnect' }),
    );
    const again = await tryConnect(shortNode.url, room.name, { token: carol.token });
    expect(again.outcome).toBe('connect_error');
    if (again.outcome === 'connect_error') expect(again.error.message).toBe('unauthorized');
  });
});
