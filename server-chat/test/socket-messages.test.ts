import { randomUUID } from 'node:crypto';
import type { Message, MessageAck } from '@parley/contracts';
import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import { messagesPath, postMessage } from '../../server-web/test/rest-client';
import {
  range,
  roomOf,
  roomRowOf,
  rowsOf,
  seqsOf,
  signUpMember,
  type Member,
} from './chat-fixture';
import {
  acked,
  closeAllClients,
  messagesBefore,
  sendMarker,
  type ChatClient,
  connectLive,
} from './socket-client';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

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

/** Connects and waits for the room's presence: after it, the client is in the room. */
function join(member: Member, roomName: string): Promise<ChatClient> {
  return connectLive(node.url, roomName, { token: member.token });
}

/** A room with its owner (Alice, two tabs) and Bob connected. */
async function busyRoom() {
  const alice = await signUpMember(app, 'alice');
  const bob = await signUpMember(app, 'bob');
  const room = await roomOf(alice);
  const aliceTab = await join(alice, room.name);
  const aliceOtherTab = await join(alice, room.name);
  const bobTab = await join(bob, room.name);
  return { alice, bob, room, aliceTab, aliceOtherTab, bobTab };
}

describe('sending a message', () => {
  it('when a member sends a valid message, then the ack carries the committed message and the row exists when it arrives', async () => {
    const { alice, room, aliceTab } = await busyRoom();
    const clientId = randomUUID();

    const ack = await aliceTab.send('hello, room', clientId);
    const rows = await rowsOf(app, room.id);

    expect(ack).toEqual({
      ok: true,
      message: {
        id: expect.any(Number) as number,
        roomId: room.id,
        seq: 1,
        username: alice.username,
        content: 'hello, room',
        timestamp: expect.stringMatching(ISO_UTC) as string,
        clientId,
      },
    });
    const message = acked(ack);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: message.id,
      room_id: room.id,
      seq: 1,
      user_id: alice.account.user.id,
      username: alice.username,
      content: 'hello, room',
      client_id: clientId,
    });
    expect(rows[0]!.timestamp.toISOString()).toBe(message.timestamp);
    expect((await roomRowOf(app, room.id))?.last_seq).toBe(1);
  });

  it('when a message is sent without clientId, then it is stored with clientId null', async () => {
    const { room, aliceTab } = await busyRoom();

    const message = acked(await aliceTab.send('no client id'));

    expect(message.clientId).toBeNull();
    expect((await rowsOf(app, room.id)).map((row) => row.client_id)).toEqual([null]);
  });

  it('when a member sends a valid message, then everyone in the room, the sender included, receives it once', async () => {
    const { room, aliceTab, aliceOtherTab, bobTab } = await busyRoom();
    const everyone = [aliceTab, aliceOtherTab, bobTab];

    const message = acked(await aliceTab.send('for everyone', randomUUID()));
    const marker = await sendMarker(bobTab, everyone);

    for (const client of everyone) {
      expect(messagesBefore(client, marker)).toEqual([message]);
    }
    expect(seqsOf(await rowsOf(app, room.id))).toEqual([1, 2]);
  });

  it('when a member sends 20 messages at once, then seqs are 1..20 and every client receives them in seq order', async () => {
    const { room, aliceTab, bobTab } = await busyRoom();

    const acks = await Promise.all(range(1, 20).map((n) => aliceTab.send(`burst ${n}`)));

    const sent = acks.map(acked);
    expect(seqsOf(sent).sort((a, b) => a - b)).toEqual(range(1, 20));
    const marker = await sendMarker(bobTab, [aliceTab, bobTab]);
    for (const client of [aliceTab, bobTab]) {
      expect(seqsOf(messagesBefore(client, marker))).toEqual(range(1, 20));
    }
    expect(marker.seq).toBe(21);
    expect((await rowsOf(app, room.id)).map((row) => row.content)).toEqual([
      ...[...sent].sort((a, b) => a.seq - b.seq).map((message) => message.content),
      marker.content,
    ]);
  });

  it('when a message holds HTML, then it comes back verbatim in the ack, the broadcast, the row and the history', async () => {
    const { alice, room, aliceTab, bobTab } = await busyRoom();
    const html = '<img src=x onerror=alert(1)> & <script>alert("x")</script>';

    const message = acked(await aliceTab.send(html));

    await bobTab.waitFor(() => bobTab.messages().length > 0);
    expect(message.content).toBe(html);
    expect(bobTab.messages()[0]!.content).toBe(html);
    expect((await rowsOf(app, room.id))[0]!.content).toBe(html);
    const later = await join(alice, room.name);
    expect(later.of('history')[0]!.messages.map((m) => m.content)).toEqual([html]);
  });

  it('when content is 4000 characters (code points, also astral ones) after trimming, then it is accepted', async () => {
    const { room, aliceTab } = await busyRoom();

    const plain = acked(await aliceTab.send(`  ${'x'.repeat(4000)}  `));
    const emoji = acked(await aliceTab.send('😀'.repeat(4000)));

    expect(plain.content.trim()).toBe('x'.repeat(4000));
    expect(emoji.content).toBe('😀'.repeat(4000));
    expect(await rowsOf(app, room.id)).toHaveLength(2);
  });
});

describe('invalid messages', () => {
  const invalid: [string, unknown][] = [
    ['empty content', { content: '' }],
    ['blank content', { content: '   \n\t ' }],
    ['4001 characters', { content: 'x'.repeat(4001) }],
    ['4001 astral characters', { content: '😀'.repeat(4001) }],
    ['a string payload', 'hello'],
    ['a number payload', 42],
    ['a null payload', null],
    ['an array payload', ['hello']],
    ['no content', { clientId: 'c1' }],
    ['non-string content', { content: 42 }],
    ['content with a NUL character', { content: 'a\u0000b' }],
    ['content with half of a surrogate pair', { content: 'a\uD83Db' }],
    ['a clientId with a NUL character', { content: 'hello', clientId: 'p\u0000x' }],
    ['a clientId with half of a surrogate pair', { content: 'hello', clientId: 'id-\uD800' }],
  ];

  it.each(invalid)(
    'when the payload is %s, then the ack is validation_failed and nothing is stored or broadcast',
    async (_label, payload) => {
      const { room, aliceTab, bobTab } = await busyRoom();

      const ack = await aliceTab.sendRaw(payload);

      expect(ack).toEqual({
        ok: false,
        error: { code: 'validation_failed', message: expect.any(String) as string },
      });
      expect(await rowsOf(app, room.id)).toEqual([]);
      expect((await roomRowOf(app, room.id))?.last_seq).toBe(0);
      // The next message takes seq 1: the refused one neither took a seq nor was broadcast.
      const marker = await sendMarker(bobTab, [aliceTab, bobTab]);
      expect(marker.seq).toBe(1);
      expect(messagesBefore(aliceTab, marker)).toEqual([]);
      expect(messagesBefore(bobTab, marker)).toEqual([]);
    },
  );
});

describe('repeated clientId', () => {
  it('when the same clientId is emitted 3 times back to back (in one tick, before any ack), then there is one row, three equal acks and one broadcast to each client', async () => {
    const { room, aliceTab, aliceOtherTab, bobTab } = await busyRoom();
    const clientId = randomUUID();

    // One synchronous loop: no ack can come in between. (Timing it measured only this machine's
    // load: 6.4 ms once on a busy CI run.)
    const pending = [1, 2, 3].map(() => aliceTab.send('only once', clientId));
    const acks = await Promise.all(pending);

    const first = acked(acks[0]!);
    expect(acks).toEqual([acks[0], acks[0], acks[0]]);
    const rows = await rowsOf(app, room.id);
    expect(rows.map((row) => [row.id, row.client_id])).toEqual([[first.id, clientId]]);
    const marker = await sendMarker(bobTab, [aliceTab, aliceOtherTab, bobTab]);
    for (const client of [aliceTab, aliceOtherTab, bobTab]) {
      expect(messagesBefore(client, marker)).toEqual([first]);
    }
  });

  it('when a clientId is sent again after its ack, then the original message is returned and nothing new is broadcast', async () => {
    const { room, aliceTab, bobTab } = await busyRoom();
    const clientId = randomUUID();
    const original = acked(await aliceTab.send('first try', clientId));

    const retry = await aliceTab.send('first try', clientId);

    expect(retry).toEqual({ ok: true, message: original });
    const marker = await sendMarker(bobTab, [bobTab]);
    expect(messagesBefore(bobTab, marker)).toEqual([original]);
    expect(seqsOf(await rowsOf(app, room.id))).toEqual([1, marker.seq]);
    expect(marker.seq).toBe(2);
  });

  it('when two senders use the same clientId, then each gets a message of their own', async () => {
    const { alice, bob, room, aliceTab, bobTab } = await busyRoom();
    const clientId = randomUUID();

    const fromAlice = acked(await aliceTab.send('from alice', clientId));
    const fromBob = acked(await bobTab.send('from bob', clientId));

    expect(fromAlice.username).toBe(alice.username);
    expect(fromBob.username).toBe(bob.username);
    expect(fromBob.id).not.toBe(fromAlice.id);
    expect((await rowsOf(app, room.id)).map((row) => row.content)).toEqual([
      'from alice',
      'from bob',
    ]);
  });

  it('when the same sender uses one clientId in two rooms, then each room stores its own message', async () => {
    const { alice, room, aliceTab } = await busyRoom();
    const otherRoom = await roomOf(alice);
    const otherTab = await join(alice, otherRoom.name);
    const clientId = randomUUID();

    const here = acked(await aliceTab.send('here', clientId));
    const there = acked(await otherTab.send('there', clientId));

    expect(there.id).not.toBe(here.id);
    expect(there.roomId).toBe(otherRoom.id);
    expect((await rowsOf(app, room.id)).map((row) => row.content)).toEqual(['here']);
    expect((await rowsOf(app, otherRoom.id)).map((row) => row.content)).toEqual(['there']);
  });
});

describe('messages posted over REST', () => {
  it('when a member posts over REST, then socket clients receive it like a socket message, with the next seq', async () => {
    const { bob, room, aliceTab, bobTab } = await busyRoom();
    const overSocket = acked(await aliceTab.send('over the socket'));

    const response = await bob.rest.post(messagesPath(room.name), {
      content: 'over REST',
      clientId: 'rest-1',
    });

    expect(response.status).toBe(201);
    const overRest = response.body.message!;
    expect(overRest).toEqual({
      id: expect.any(Number) as number,
      roomId: room.id,
      seq: overSocket.seq + 1,
      username: bob.username,
      content: 'over REST',
      timestamp: expect.stringMatching(ISO_UTC) as string,
      clientId: 'rest-1',
    });
    const marker = await sendMarker(aliceTab, [aliceTab, bobTab]);
    for (const client of [aliceTab, bobTab]) {
      expect(messagesBefore(client, marker)).toEqual([overSocket, overRest]);
    }
    expect(seqsOf(await rowsOf(app, room.id))).toEqual([1, 2, 3]);
  });

  it('when REST and socket messages interleave, then clients receive them all in seq order', async () => {
    const { alice, room, aliceTab, bobTab } = await busyRoom();

    const sent: Message[] = [];
    const work: Promise<unknown>[] = [];
    for (const n of range(1, 10)) {
      work.push(aliceTab.send(`socket ${n}`).then((ack: MessageAck) => sent.push(acked(ack))));
      work.push(postMessage(alice.rest, room.name, `rest ${n}`).then((m) => sent.push(m)));
    }
    await Promise.all(work);

    const marker = await sendMarker(bobTab, [aliceTab, bobTab]);
    const expected = [...sent].sort((a, b) => a.seq - b.seq);
    expect(seqsOf(expected)).toEqual(range(1, 20));
    for (const client of [aliceTab, bobTab]) {
      expect(messagesBefore(client, marker)).toEqual(expected);
    }
  });
});
