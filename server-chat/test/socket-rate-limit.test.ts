import { LIMITS, type Message } from '@parley/contracts';
import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import { range, roomOf, rowsOf, signUpMember, type Member } from './chat-fixture';
import {
  acked,
  closeAllClients,
  messagesBefore,
  sendMarker,
  type ChatClient,
  connectLive,
} from './socket-client';

let app: WebApp;
let node: ChatNode;
beforeAll(async () => {
  app = await startWebApp();
  // The contract's own message limits (startChatNode raises them for the other suites).
  node = await startChatNode({}, {});
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await node?.close();
  await app?.close();
});

function join(member: Member, roomName: string): Promise<ChatClient> {
  return connectLive(node.url, roomName, { token: member.token });
}

describe('the message rate limit', () => {
  it('when a user emits 100 messages at once, then only the allowance is stored, the rest is rate_limited, and the socket stays usable', async () => {
    const alice = await signUpMember(app, 'alice');
    const bob = await signUpMember(app, 'bob');
    const room = await roomOf(alice);
    const aliceTab = await join(alice, room.name);
    const bobTab = await join(bob, room.name);

    const acks = await Promise.all(range(1, 100).map((n) => aliceTab.send(`flood ${n}`)));

    const accepted = acks.filter((ack) => ack.ok).map(acked);
    const refused = acks.filter((ack) => !ack.ok);
    expect(accepted.length).toBeGreaterThanOrEqual(LIMITS.messagesPerSecond);
    expect(accepted.length).toBeLessThanOrEqual(LIMITS.messageBurst);
    expect(refused).toHaveLength(100 - accepted.length);
    for (const ack of refused) {
      expect(ack).toEqual({
        ok: false,
        error: { code: 'rate_limited', message: expect.any(String) as string },
      });
    }
    const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
    const rows = await rowsOf(app, room.id);
    expect(rows.map((row) => ({ id: row.id, content: row.content })).sort(byId)).toEqual(
      accepted.map((message) => ({ id: message.id, content: message.content })).sort(byId),
    );
    expect(rows.map((row) => row.seq)).toEqual(range(1, accepted.length));
    expect(aliceTab.socket.connected).toBe(true);
    expect(aliceTab.events.some((entry) => entry.event === 'disconnect')).toBe(false);

    // The limit is per user: Bob is not slowed down by Alice, and his message is the marker
    // proving that the room saw exactly the accepted ones.
    const marker = await sendMarker(bobTab, [aliceTab, bobTab]);
    const bySeq = (a: Message, b: Message) => a.seq - b.seq;
    expect(messagesBefore(bobTab, marker)).toEqual([...accepted].sort(bySeq));
    expect(messagesBefore(aliceTab, marker)).toEqual([...accepted].sort(bySeq));

    // 10 per second sustained: a second after the burst the allowance has refilled. This is a
    // bounded wait for time to pass, not synchronisation (no server event says "refilled").
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const again = acked(await aliceTab.send('after the pause'));
    expect(again.seq).toBe(marker.seq + 1);
    expect(aliceTab.socket.connected).toBe(true);
    expect(await rowsOf(app, room.id)).toHaveLength(accepted.length + 2);
  });
});
