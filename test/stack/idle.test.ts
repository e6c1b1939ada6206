import type { PlainServerFrame } from '@parley/contracts';
import WebSocket from 'ws';
import { api, createRoom, postMessage, signUp } from '../../server-web/test/rest-client';
import { closeAllClients, connect } from '../../server-chat/test/socket-client';
import { startStack, type TestStack } from '../support/stack';
import { newStickyKey } from './through-nginx';

// Longer than nginx's default proxy_read_timeout (60 s), well inside the configured 120 s.
const IDLE_MS = 70_000;

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  closeAllClients();
  await stack?.stop();
});

test('when connections sit idle longer than nginx default read timeout, then they stay up and still receive messages', async () => {
  // Arrange: a Socket.IO client over WebSocket, one over long-polling, and a plain WebSocket
  // (kept open by the chat node's WebSocket pings, answered by the ws client by itself).
  const member = await signUp(stack, 'idle');
  const rest = api(stack, member.cookie);
  const room = await createRoom(rest);
  const overWebSocket = await connect(stack.url, room.name, {
    token: member.token,
    query: { sticky: newStickyKey() },
  });
  const overPolling = await connect(stack.url, room.name, {
    token: member.token,
    transport: 'polling',
    query: { sticky: newStickyKey() },
  });
  const frames: PlainServerFrame[] = [];
  let plainClosedWith: number | undefined;
  const plain = new WebSocket(
    `${stack.url.replace('http', 'ws')}/ws/${encodeURIComponent(room.name)}`,
    { headers: { authorization: `Bearer ${member.token}` } },
  );
  plain.on('message', (data: Buffer) =>
    frames.push(JSON.parse(data.toString()) as PlainServerFrame),
  );
  plain.on('close', (code) => (plainClosedWith = code));
  await new Promise((resolve, reject) => plain.once('open', resolve).once('error', reject));

  // Act: nothing for 70 s, then a message from elsewhere (REST).
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const message = await postMessage(rest, room.name, 'still there?');

  // Assert: no disconnect anywhere, and all three get the message.
  for (const client of [overWebSocket, overPolling]) {
    await client.waitFor(() => client.messages().some((received) => received.id === message.id));
    expect(client.events.filter((entry) => entry.event === 'disconnect')).toEqual([]);
  }
  const deadline = Date.now() + 5_000;
  while (!frames.some((frame) => frame.type === 'message') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(plainClosedWith).toBeUndefined();
  expect(frames).toEqual([{ type: 'message', message }]);
  plain.close();
}, 100_000);
