import type { Message, PlainServerFrame } from '@parley/contracts';
import { createLogger } from '@parley/server-kit';
import {
  createRoomStreams,
  type PlainMember,
  type RoomStreams,
} from '../src/messages/room-streams';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import { postMessage } from '../../server-web/test/rest-client';
import { roomOf, signUpMember } from './chat-fixture';

let app: WebApp;
beforeAll(async () => {
  app = await startWebApp();
});
afterAll(async () => {
  await app?.close();
});

/** Room streams over the app's rooms and `messages` (the repository, or a wrapper of it). */
function streamsReading(messages: typeof app.deps.messages): RoomStreams {
  return createRoomStreams({
    rooms: app.deps.rooms,
    messages,
    logger: createLogger({ level: 'silent', name: 'room-streams-test' }),
  });
}

/** A plain member that keeps every frame it is sent, and how many sends carried them. */
function recordingMember(): { member: PlainMember; frames: PlainServerFrame[]; sends: number[] } {
  const frames: PlainServerFrame[] = [];
  const sends: number[] = [];
  const member: PlainMember = {
    send: (batch) => {
      sends.push(batch.length);
      for (const frame of batch) frames.push(JSON.parse(frame) as PlainServerFrame);
    },
    close: () => undefined,
  };
  return { member, frames, sends };
}

/** Hands a committed message to the streams as its event would, and waits for its delivery. */
async function deliverCommitted(streams: RoomStreams, message: Message): Promise<void> {
  streams.onMessages(message.roomId, message.seq, [message]);
  await new Promise<void>((resolve) => streams.afterDeliveries(message.roomId, () => resolve()));
}

test('when a message commits while the first member of a node joins, then that member still receives it live', async () => {
  // Arrange: a message commits right after the join has read the history (as when another
  // node writes at that moment); its event arrives after the join.
  const owner = await signUpMember(app, 'streams');
  const room = await roomOf(owner);
  let racing: Promise<Message> | undefined;
  const messages = {
    ...app.deps.messages,
    async history(...args: Parameters<typeof app.deps.messages.history>) {
      const page = await app.deps.messages.history(...args);
      racing ??= postMessage(owner.rest, room.name, 'committed during the join');
      await racing;
      return page;
    },
  };
  const streams = streamsReading(messages);
  const { member, frames } = recordingMember();

  // Act
  await streams.joinPlain({ id: room.id, name: room.name }, member, 0);
  const committed = await racing!;
  await deliverCommitted(streams, committed);

  // Assert: delivered once, from the event that followed the join.
  expect(frames).toEqual([{ type: 'message', message: committed }]);
});

test('when messages commit between the upgrade of a plain client and its join, then it receives each of them once, in seq order, before live ones', async () => {
  // Arrange: the upgrade was accepted at seq 2; seqs 3–5 committed before the join ran.
  const owner = await signUpMember(app, 'streams');
  const room = await roomOf(owner);
  const post = (content: string) => postMessage(owner.rest, room.name, content);
  await post('before 1');
  await post('before 2');
  const upgradedAt = (await app.deps.rooms.lastSeq(room.id))!;
  const meanwhile = [
    await post('meanwhile 3'),
    await post('meanwhile 4'),
    await post('meanwhile 5'),
  ];
  const streams = streamsReading(app.deps.messages);
  const { member, frames } = recordingMember();

  // Act: the join, then a live message.
  await streams.joinPlain({ id: room.id, name: room.name }, member, upgradedAt);
  const live = await post('live 6');
  await deliverCommitted(streams, live);

  // Assert
  expect(upgradedAt).toBe(2);
  expect(frames).toEqual([...meanwhile, live].map((message) => ({ type: 'message', message })));
});

test('when a batch of messages commits in a room, then a plain member gets them in one send, in seq order', async () => {
  // Arrange: a plain member, live.
  const owner = await signUpMember(app, 'streams');
  const room = await roomOf(owner);
  const streams = streamsReading(app.deps.messages);
  const { member, frames, sends } = recordingMember();
  await streams.joinPlain({ id: room.id, name: room.name }, member, 0);
  const batch = [
    await postMessage(owner.rest, room.name, 'one'),
    await postMessage(owner.rest, room.name, 'two'),
    await postMessage(owner.rest, room.name, 'three'),
  ];
  sends.length = 0;

  // Act: the three as one group commit announces them.
  streams.onMessages(room.id, batch.at(-1)!.seq, batch);
  await new Promise<void>((resolve) => streams.afterDeliveries(room.id, () => resolve()));

  // Assert
  expect(sends).toEqual([3]);
  expect(frames).toEqual(batch.map((message) => ({ type: 'message', message })));
});
