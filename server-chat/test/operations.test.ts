import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import { roomOf, rowsOf, signUpMember } from './chat-fixture';
import { acked, closeAllClients, connect } from './socket-client';

let web: WebApp;
let node: ChatNode;
beforeAll(async () => {
  web = await startWebApp();
  node = await startChatNode();
});
afterEach(closeAllClients);
afterAll(async () => {
  await node.close();
  await web.close();
});

const metricValue = (metrics: string, name: string): number => {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics);
  if (!match) throw new Error(`no ${name} in /metrics`);
  return Number(match[1]);
};
const metrics = async () => (await fetch(`${node.url}/metrics`)).text();

/** Polls /metrics until `check` holds (gauges follow disconnects asynchronously). */
async function metricsWhen(check: (text: string) => boolean, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await metrics();
    if (check(text)) return text;
    if (Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('group commit', () => {
  test('when many messages arrive at once, then they are committed in fewer transactions than messages, gapless and each acked', async () => {
    const members = await Promise.all([1, 2, 3, 4].map(() => signUpMember(web, 'burst')));
    const room = await roomOf(members[0]!);
    const clients = await Promise.all(
      members.map((member) => connect(node.url, room.name, { token: member.token })),
    );
    const before = await metrics();

    const acks = await Promise.all(
      clients.flatMap((client, c) =>
        Array.from({ length: 15 }, (_, n) => client.send(`burst ${c}-${n}`, `burst-${c}-${n}`)),
      ),
    );

    const after = await metrics();
    const seqs = acks.map((ack) => acked(ack).seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, index) => index + 1));
    expect((await rowsOf(web, room.id)).map((row) => row.seq)).toEqual(seqs);
    const batches =
      metricValue(after, 'chat_batch_size_count') - metricValue(before, 'chat_batch_size_count');
    const batched =
      metricValue(after, 'chat_batch_size_sum') - metricValue(before, 'chat_batch_size_sum');
    expect(batched).toBe(60);
    expect(batches).toBeLessThan(60);
    console.log(`measured: 60 concurrent sends committed in ${batches} transactions`);
  });
});

describe('chat node operations', () => {
  test('when the node is up, then /healthz and /readyz answer 200 and unknown paths a JSON 404', async () => {
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${node.url}/readyz`);
    expect(ready.status).toBe(200);
    const missing = await fetch(`${node.url}/nothing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  test('when clients send and leave, then /metrics counts sockets, rooms, messages, batches and ack latency, and the gauges return to zero', async () => {
    const before = await metrics();
    const member = await signUpMember(web, 'ops');
    const room = await roomOf(member);
    const first = await connect(node.url, room.name, { token: member.token });
    const second = await connect(node.url, room.name, { token: member.token });
    acked(await first.send('counted'));
    acked(await second.send('counted too'));

    const during = await metrics();
    expect(metricValue(during, 'chat_connected_sockets')).toBe(
      metricValue(before, 'chat_connected_sockets') + 2,
    );
    expect(metricValue(during, 'chat_rooms_active')).toBeGreaterThanOrEqual(1);
    expect(metricValue(during, 'chat_messages_persisted_total')).toBe(
      metricValue(before, 'chat_messages_persisted_total') + 2,
    );
    expect(metricValue(during, 'chat_batch_size_sum')).toBeGreaterThanOrEqual(2);
    expect(metricValue(during, 'chat_ack_latency_seconds_count')).toBe(
      metricValue(before, 'chat_ack_latency_seconds_count') + 2,
    );
    expect(during).toContain('parley_chat_nodejs_eventloop_lag_seconds');

    // One after the other: the last one to leave empties the room on this node.
    first.close();
    await metricsWhen((text) => metricValue(text, 'chat_connected_sockets') === 1);
    second.close();
    const after = await metricsWhen(
      (text) =>
        metricValue(text, 'chat_connected_sockets') === 0 &&
        metricValue(text, 'chat_rooms_active') === 0,
    );
    expect(metricValue(after, 'chat_connected_sockets')).toBe(0);
    expect(metricValue(after, 'chat_rooms_active')).toBe(0);
  });
});
