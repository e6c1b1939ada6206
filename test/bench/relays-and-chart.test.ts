import type { Message, PlainServerFrame } from '@parley/contracts';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnServer, type ServerProcess } from '../../bench/src/lib/proc';
import { connectPlain, type RawMember } from '../../bench/src/load/sio-client';
import type { LatencyPoint } from '../../bench/src/report/chart';
import {
  acked,
  closeAllClients,
  connect,
  messagesBefore,
  sendMarker,
} from '../../server-chat/test/socket-client';

const ROOT = path.resolve(__dirname, '../..');
const SERVERS = path.join(ROOT, 'bench/src/servers');
const CHART = path.join(ROOT, 'bench/src/report/chart.ts');
const WAIT_MS = 5_000;

interface Relay {
  url: string;
  process: ServerProcess;
}

/** Runs a relay as the benchmark does: its own process, any free port, ready at `{"port":…}`. */
async function startRelay(file: string): Promise<Relay> {
  const isListening = (output: string) => /^\{"port":\d+\}$/m.test(output);
  const relay = await spawnServer(process.execPath, ['--import', 'tsx', path.join(SERVERS, file)], {
    env: { ...process.env, PORT: '0' },
    isReady: isListening,
  });
  const { port } = JSON.parse(/^\{"port":\d+\}$/m.exec(relay.output())![0]) as { port: number };
  return { url: `http://127.0.0.1:${port}`, process: relay };
}

/** Stops a relay with SIGTERM; resolves with its exit code (null when it had to be killed). */
async function stopRelay(relay: Relay | undefined): Promise<number | null | undefined> {
  await relay?.process.stop();
  return relay?.process.child.exitCode;
}

describe('the Socket.IO relay (S)', () => {
  let relay: Relay | undefined;
  beforeAll(async () => {
    relay = await startRelay('socketio-relay.ts');
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    expect(await stopRelay(relay)).toBe(0);
  });

  test('when a member sends a message, then everyone in the room receives it once and the sender gets it acked', async () => {
    // Arrange: three members of one room, one of another.
    const [sender, ...others] = await Promise.all([1, 2, 3].map(() => connect(relay!.url, 'a')));
    const members = [sender!, ...others];
    const outsider = await connect(relay!.url, 'b');

    // Act
    const ack = await sender!.send('hello', 'c-1');
    const marker = await sendMarker(sender!, members);
    const outsiderMarker = await sendMarker(outsider, [outsider]);

    // Assert: the ack carries the message in the product's shape, and so did the broadcast.
    const message = acked(ack);
    expect(message).toEqual({
      id: expect.any(Number) as number,
      roomId: marker.roomId,
      seq: 1,
      username: 'relay',
      content: 'hello',
      timestamp: expect.any(String) as string,
      clientId: 'c-1',
    });
    expect(new Date(message.timestamp).toISOString()).toBe(message.timestamp);
    for (const member of members) {
      expect(member.of('history')).toEqual([{ messages: [] }]);
      expect(messagesBefore(member, marker)).toEqual([message]);
    }
    // Had room a's message leaked, it would have reached the outsider before its own marker.
    expect(messagesBefore(outsider, outsiderMarker)).toEqual([]);
    expect(outsiderMarker.roomId).not.toBe(marker.roomId);
  });

  test('when the content is not a string, then the sender gets validation_failed and nothing is broadcast', async () => {
    const [sender, other] = await Promise.all([connect(relay!.url, 'c'), connect(relay!.url, 'c')]);

    const ack = await sender.sendRaw({ content: 42 });
    const marker = await sendMarker(sender, [sender, other]);

    expect(ack).toEqual({
      ok: false,
      error: { code: 'validation_failed', message: expect.any(String) as string },
    });
    expect(messagesBefore(other, marker)).toEqual([]);
  });
});

/** A plain member through the benchmark's own client, decoding what it receives. */
interface PlainMember {
  member: RawMember;
  messages: Message[];
  /** Resolves once a message with `content` arrived. */
  receive(content: string): Promise<Message>;
}

async function joinPlain(url: string, room: string): Promise<PlainMember> {
  const messages: Message[] = [];
  const wakers = new Set<() => void>();
  const member = await connectPlain({
    url,
    path: `/ws/${room}`,
    onMessage: (frame) => {
      const parsed = JSON.parse(frame) as PlainServerFrame;
      if (parsed.type === 'message') messages.push(parsed.message);
      for (const wake of [...wakers]) wake();
    },
  });
  const receive = (content: string) =>
    new Promise<Message>((resolve, reject) => {
      const wake = () => {
        const found = messages.find((message) => message.content === content);
        if (!found) return;
        clearTimeout(timer);
        wakers.delete(wake);
        resolve(found);
      };
      const timer = setTimeout(() => {
        wakers.delete(wake);
        reject(new Error(`"${content}" did not arrive within ${WAIT_MS} ms`));
      }, WAIT_MS);
      wakers.add(wake);
      wake();
    });
  return { member, messages, receive };
}

describe('the ws relay (W)', () => {
  let relay: Relay | undefined;
  const open: PlainMember[] = [];
  beforeAll(async () => {
    relay = await startRelay('ws-relay.ts');
  });
  afterEach(() => {
    for (const plain of open.splice(0)) plain.member.close();
  });
  afterAll(async () => {
    expect(await stopRelay(relay)).toBe(0);
  });

  test('when a member sends a text frame, then everyone in the room receives it once as a message frame', async () => {
    // Arrange: three members of one room, one of another.
    const members = await Promise.all([1, 2, 3].map(() => joinPlain(relay!.url, 'a')));
    const outsider = await joinPlain(relay!.url, 'b');
    open.push(...members, outsider);

    // Act: a message, then a marker all must see; then a marker in the other room.
    members[0]!.member.send('hello', '');
    members[0]!.member.send('marker', '');
    await Promise.all(members.map((plain) => plain.receive('marker')));
    outsider.member.send('marker b', '');
    await outsider.receive('marker b');

    // Assert: each member got exactly hello then the marker, all the same message.
    const hello = members[0]!.messages[0]!;
    expect(hello).toEqual({
      id: 1,
      roomId: expect.any(Number) as number,
      seq: 1,
      username: 'relay',
      content: 'hello',
      timestamp: expect.any(String) as string,
      clientId: null,
    });
    for (const plain of members) {
      expect(plain.messages.map((message) => message.content)).toEqual(['hello', 'marker']);
      expect(plain.messages[0]).toEqual(hello);
    }
    // Had room a's messages leaked, they would have reached the outsider before its own marker.
    expect(outsider.messages.map((message) => message.content)).toEqual(['marker b']);
    expect(outsider.messages[0]!.roomId).not.toBe(hello.roomId);
  });
});

/**
 * renderLatencyChart in a tsx process, as the benchmark runs it: vega is ESM-only, and Jest's
 * module runtime cannot import() ESM without --experimental-vm-modules.
 */
async function renderLatencyChart(points: LatencyPoint[], title: string): Promise<string> {
  const script = `require(process.argv[1]).renderLatencyChart(...JSON.parse(process.argv[2]))
    .then((svg) => process.stdout.write(svg))`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '-e', script, CHART, JSON.stringify([points, title])],
    { cwd: ROOT, maxBuffer: 10_000_000 },
  );
  return stdout;
}
describe('the latency chart', () => {
  test('when rendered, then it is an SVG naming every server and both axes', async () => {
    const points: LatencyPoint[] = ['parley', 'socket.io relay', 'ws relay'].flatMap((server, s) =>
      [1, 10].flatMap((fanout) =>
        [1_000, 10_000, 100_000].map((offered) => ({
          server,
          fanout,
          offered,
          p50Ms: 1 + s,
          p99Ms: (2 + s) * fanout * (offered / 1_000) ** 0.5,
        })),
      ),
    );

    const svg = await renderLatencyChart(points, 'Latency against load');

    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of [
      'parley',
      'socket.io relay',
      'ws relay',
      'Offered deliveries/s',
      'p99 latency (ms)',
      'Latency against load',
      'F = 10',
    ]) {
      expect(svg).toContain(text);
    }
  });
});
