import type { Message, PlainServerFrame } from '@parley/contracts';
import { createLogger } from '@parley/server-kit';
import { createRoomStreams, type PlainMember } from '../src/messages/room-streams';
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
  const streams = createRoomStreams({
    rooms: app.deps.rooms,
    messages,
    logger: createLogger({ level: 'silent', name: 'room-streams-test' }),
  });
  const frames: PlainServerFrame[] = [];
  const member: PlainMember = {
    send: (frame) => frames.push(JSON.parse(frame) as PlainServerFrame),
    close: () => undefined,
  };

  // Act
  await streams.joinPlain({ id: room.id, name: room.name }, member);
  const committed = await racing!;
  streams.onMessages(room.id, committed.seq, [committed]);
  await new Promise<void>((resolve) => streams.afterDeliveries(room.id, () => resolve()));

  // Assert: delivered once, from the event that followed the join.
  expect(frames).toEqual([{ type: 'message', message: committed }]);
});
