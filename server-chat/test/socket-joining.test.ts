import type { Message } from '@parley/contracts';
import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import {
  postMessages,
  range,
  roomOf,
  rowsOf,
  seedMessages,
  seqsOf,
  signUpMember,
  type Member,
} from './chat-fixture';
import {
  acked,
  closeAllClients,
  sendMarker,
  type ChatClient,
  type ConnectOptions,
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

/** Connects and waits for the room's first presence, which the contract sends after history. */
function join(member: Member, roomName: string, options: ConnectOptions = {}) {
  return connectLive(node.url, roomName, { token: member.token, ...options });
}

/** Every history message received before the first presence, in arrival order. */
function historyBeforePresence(client: ChatClient): Message[] {
  const firstPresence = client.events.findIndex((entry) => entry.event === 'presence');
  return client.events
    .slice(0, firstPresence)
    .flatMap((entry) => (entry.event === 'history' ? entry.payload.messages : []));
}

const latestPresence = (client: ChatClient) => client.of('presence').at(-1)?.users;

describe('joining a room: history', () => {
  it('when a member joins without lastSeq, then history holds the latest 50 messages ascending, then presence names them', async () => {
    const member = await signUpMember(app);
    const room = await roomOf(member);
    const posted = await postMessages(member, room.name, 60);

    const client = await join(member, room.name);

    expect(client.events[0]?.event).toBe('history');
    expect(seqsOf(historyBeforePresence(client))).toEqual(range(11, 60));
    expect(historyBeforePresence(client)).toEqual(posted.slice(10));
    expect(client.of('presence')[0]!.users).toContain(member.username);
  });

  it('when a member joins an empty room, then history is empty and presence names them', async () => {
    const member = await signUpMember(app);
    const room = await roomOf(member);

    const client = await join(member, room.name);

    expect(client.of('history')).toEqual([{ messages: [] }]);
    expect(client.of('presence')[0]).toEqual({ users: [member.username] });
  });

  it('when a member reconnects with lastSeq=30 in a room of 250 messages, then history brings exactly seqs 31..250 once, in order', async () => {
    const member = await signUpMember(app);
    const room = await roomOf(member);
    const posted = await postMessages(member, room.name, 250);

    const client = await join(member, room.name, { lastSeq: 30 });

    const history = historyBeforePresence(client);
    expect(seqsOf(history)).toEqual(range(31, 250));
    expect(history).toEqual(posted.slice(30));
    expect(seqsOf(await rowsOf(app, room.id))).toEqual(range(1, 250));
  });

  it('when a member reconnects after missing 1,000 messages, then the history pages together hold each of them once, in order', async () => {
    const member = await signUpMember(app);
    const room = await roomOf(member);
    await seedMessages(app, member, room, 1_300);

    const client = await join(member, room.name, { lastSeq: 300 });

    const history = historyBeforePresence(client);
    expect(seqsOf(history)).toEqual(range(301, 1_300));
    expect(history.map((message) => message.content)).toEqual(
      range(301, 1_300).map((seq) => `m${seq}`),
    );
    expect(history.every((message) => message.roomId === room.id)).toBe(true);
    // Live once the history is out: the next message continues the room's seqs.
    const next = acked(await client.send('next'));
    expect(next.seq).toBe(1_301);
  });

  it('when a member reconnects with lastSeq=0 in a room of 60 messages, then history brings all 60 (not the latest 50)', async () => {
    const member = await signUpMember(app);
    const room = await roomOf(member);
    await postMessages(member, room.name, 60);

    const client = await join(member, room.name, { lastSeq: 0 });

    expect(seqsOf(historyBeforePresence(client))).toEqual(range(1, 60));
  });

  it('when a member reconnects with the latest seq, then history is empty', async () => {
    const member = await signUpMember(app);
    const room = await roomOf(member);
    await postMessages(member, room.name, 5);

    const client = await join(member, room.name, { lastSeq: 5 });

    expect(client.of('history').length).toBeGreaterThan(0);
    expect(historyBeforePresence(client)).toEqual([]);
  });

  it('when a message is sent right after joining, then it arrives as a message event after the history, not inside it', async () => {
    const member = await signUpMember(app);
    const room = await roomOf(member);
    await postMessages(member, room.name, 3);
    const client = await join(member, room.name, { lastSeq: 0 });

    const sent = acked(await client.send('after joining'));

    await client.waitFor(() => client.messages().some((message) => message.id === sent.id));
    expect(sent.seq).toBe(4);
    expect(seqsOf(historyBeforePresence(client))).toEqual([1, 2, 3]);
    expect(client.messages()).toEqual([sent]);
  });
});

describe('joining a room: presence', () => {
  it('when a user has two tabs open, then presence names them once', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const aliceTab1 = await join(alice, room.name);
    const aliceTab2 = await join(alice, room.name);

    const bobTab = await join(bob, room.name);

    const expected = [alice.username, bob.username].sort();
    expect([...bobTab.of('presence')[0]!.users].sort()).toEqual(expected);
    for (const tab of [aliceTab1, aliceTab2]) {
      const users = await tab.waitFor(() => {
        const latest = latestPresence(tab);
        return latest?.includes(bob.username) && latest;
      });
      expect([...users].sort()).toEqual(expected);
    }
  });

  it('when the second user leaves, then the others get a presence without them', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const aliceTab1 = await join(alice, room.name);
    const aliceTab2 = await join(alice, room.name);
    const bobTab = await join(bob, room.name);
    await aliceTab1.waitFor(() => latestPresence(aliceTab1)?.includes(bob.username));
    await aliceTab2.waitFor(() => latestPresence(aliceTab2)?.includes(bob.username));

    bobTab.close();

    for (const tab of [aliceTab1, aliceTab2]) {
      const users = await tab.waitFor(() => {
        const latest = latestPresence(tab);
        return latest && !latest.includes(bob.username) && latest;
      });
      expect(users).toEqual([alice.username]);
    }
  });

  it('when one of two tabs of a user closes, then the user is still present', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const aliceTab1 = await join(alice, room.name);
    const aliceTab2 = await join(alice, room.name);
    const bobTab = await join(bob, room.name);
    await aliceTab1.waitFor(() => latestPresence(aliceTab1)?.includes(bob.username));

    aliceTab2.close();
    // A round trip through the node lets it handle the closed tab first (were it not handled yet,
    // this test could only pass wrongly, never fail wrongly). Bob's leaving then changes the set:
    // the presence it brings must still name Alice.
    await sendMarker(bobTab, [bobTab, aliceTab1]);
    bobTab.close();

    const users = await aliceTab1.waitFor(() => {
      const latest = latestPresence(aliceTab1);
      return latest && !latest.includes(bob.username) && latest;
    });
    expect(users).toEqual([alice.username]);
  });
});

describe('typing', () => {
  it('when a member types, then the others get typing with their username and the sender gets nothing', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const aliceTab = await join(alice, room.name);
    const bobTab = await join(bob, room.name);

    aliceTab.socket.emit('typing', {});

    await bobTab.waitFor(() => bobTab.of('typing').length > 0);
    expect(bobTab.of('typing')).toEqual([{ username: alice.username }]);
    // Alice's own events keep their order: had typing come back to her, it would be here by now.
    await sendMarker(aliceTab, [aliceTab]);
    expect(aliceTab.of('typing')).toEqual([]);
    expect((await rowsOf(app, room.id)).map((row) => row.content)).toEqual([
      expect.stringMatching(/^marker /) as string,
    ]);
  });
});
