import type { Message, PlainServerFrame } from '@parley/contracts';
import WebSocket from 'ws';
import {
  api,
  createRoom,
  postMessage,
  signUp,
  type Account,
} from '../../server-web/test/rest-client';
import {
  acked,
  closeAllClients,
  connectLive,
  messagesBefore,
  sendMarker,
  type ChatClient,
} from '../../server-chat/test/socket-client';
import { startStack, type TestStack } from '../support/stack';
import { accessLog, connectedSockets, range, stickyKeysByNode, upstreamOf } from './through-nginx';

// Everything goes through nginx (stack.url); the nodes are only asked for their /metrics.
let stack: TestStack;
let keys: Record<string, string[]>;

beforeAll(async () => {
  stack = await startStack();
  keys = await stickyKeysByNode(stack, 2);
}, 60_000);

afterEach(() => closeAllClients());

afterAll(async () => {
  await stack?.stop();
});

const sticky = (nodeId: string, index = 0) => ({ sticky: keys[nodeId]![index]! });

async function roomWithMembers(count: number): Promise<{ name: string; members: Account[] }> {
  const members = await Promise.all(range(1, count).map(() => signUp(stack, 'nx')));
  const room = await createRoom(api(stack, members[0]!.cookie));
  return { name: room.name, members };
}

async function socketsPerNode(): Promise<number[]> {
  return Promise.all(stack.chatNodes.map(connectedSockets));
}

const seqsOf = (messages: Message[]) => messages.map((message) => message.seq);

test('when members on different chat nodes talk in one room, then each sees every message once, in seq order', async () => {
  // Arrange: two members on chat-1, two on chat-2 (their sticky keys route them there), each
  // live before anyone sends, so every message reaches each of them as a `message` event.
  const { name, members } = await roomWithMembers(4);
  const placement = ['chat-1', 'chat-1', 'chat-2', 'chat-2'];
  const clients = await Promise.all(
    members.map((member, index) =>
      connectLive(stack.url, name, {
        token: member.token,
        query: sticky(placement[index]!, index % 2),
      }),
    ),
  );
  expect(await socketsPerNode()).toEqual([2, 2]);

  // Act: everyone sends five at once, and one more comes through the REST API.
  const acks = await Promise.all(
    clients.flatMap((client, index) =>
      range(1, 5).map((n) => client.send(`from ${index}: ${n}`, `c-${index}-${n}`)),
    ),
  );
  const viaRest = await postMessage(api(stack, members[0]!.cookie), name, 'posted over REST');
  const marker = await sendMarker(clients[0]!, clients);

  // Assert: 21 messages, seq 1…21 once each and in order, on every client of both nodes.
  const sent = acks.map(acked);
  expect(marker.seq).toBe(22);
  const everyId = new Set([...sent, viaRest].map((message) => message.id));
  for (const client of clients) {
    const received = messagesBefore(client, marker);
    expect(seqsOf(received)).toEqual(range(1, 21));
    expect(new Set(received.map((message) => message.id))).toEqual(everyId);
  }
});

test('when long-polling-only clients on both nodes talk, then every request stays on its node and none gets 400', async () => {
  // Arrange: one polling client per node.
  const { name, members } = await roomWithMembers(2);
  const [one, two] = await Promise.all(
    (['chat-1', 'chat-2'] as const).map((nodeId, index) =>
      connectLive(stack.url, name, {
        token: members[index]!.token,
        transport: 'polling',
        query: sticky(nodeId),
      }),
    ),
  );
  expect(await socketsPerNode()).toEqual([1, 1]);

  // Act: they take turns, so each long-poll answers and a new one starts many times.
  for (const n of range(1, 4)) {
    acked(await one!.send(`one ${n}`));
    acked(await two!.send(`two ${n}`));
  }
  const marker = await sendMarker(one!, [one!, two!]);

  // Assert: both saw all eight in order, still over polling…
  for (const client of [one!, two!]) {
    expect(seqsOf(messagesBefore(client, marker))).toEqual(range(1, 8));
    expect(client.socket.io.engine.transport.name).toBe('polling');
  }
  // …and nginx sent each client's every request to its own node, never answering 400.
  closeAllClients();
  const requests = (await accessLog(stack)).filter((line) => line.path === '/socket.io/');
  for (const [index, nodeId] of ['chat-1', 'chat-2'].entries()) {
    const own = requests.filter((line) => line.query.get('sticky') === sticky(nodeId).sticky);
    expect(own.length).toBeGreaterThan(10);
    expect(new Set(own.map((line) => line.upstream))).toEqual(
      new Set([upstreamOf(stack.chatNodes[index]!)]),
    );
  }
  expect(requests.filter((line) => line.status === 400)).toEqual([]);
});

test('when a plain WebSocket client and a Socket.IO client on another node share a room, then messages flow both ways', async () => {
  // Arrange: plain WebSocket (Bearer header) on chat-1, Socket.IO on chat-2.
  const { name, members } = await roomWithMembers(2);
  const frames: PlainServerFrame[] = [];
  const { ws: plain, node: plainNode } = await openPlainSocket(
    `${stack.url.replace('http', 'ws')}/ws/${encodeURIComponent(name)}?sticky=${sticky('chat-1').sticky}`,
    members[0]!.token,
    frames,
  );
  const socket: ChatClient = await connectLive(stack.url, name, {
    token: members[1]!.token,
    query: sticky('chat-2'),
  });
  expect(await socketsPerNode()).toEqual([1, 1]);
  expect(plainNode).toBe('chat-1');

  try {
    // Act
    plain.send('hello from a plain WebSocket');
    const fromPlain = await socket.waitFor(() =>
      socket.messages().find((message) => message.content === 'hello from a plain WebSocket'),
    );
    const fromSocket = acked(await socket.send('hello from Socket.IO'));

    // Assert
    const plainSeen = await waitForFrame(frames, fromSocket.id);
    expect(plainSeen.message).toMatchObject({
      seq: fromPlain.seq + 1,
      content: 'hello from Socket.IO',
    });
    expect(fromPlain.username).toBe(members[0]!.user.username);
  } finally {
    plain.close();
  }
});

/** Opens a plain WebSocket; `node` is the X-Parley-Node of the node that accepted it. */
function openPlainSocket(url: string, token: string, frames: PlainServerFrame[]) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as PlainServerFrame));
  let node: string | string[] | undefined;
  ws.once('upgrade', (response) => (node = response.headers['x-parley-node']));
  return new Promise<{ ws: WebSocket; node: typeof node }>((resolve, reject) => {
    ws.once('open', () => resolve({ ws, node }));
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`the upgrade was refused: ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
}

async function waitForFrame(
  frames: PlainServerFrame[],
  messageId: number,
  timeoutMs = 5_000,
): Promise<Extract<PlainServerFrame, { type: 'message' }>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const frame = frames.find(
      (candidate) => candidate.type === 'message' && candidate.message.id === messageId,
    );
    if (frame?.type === 'message') return frame;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no frame with message ${messageId}: ${JSON.stringify(frames)}`);
}
