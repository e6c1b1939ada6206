import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Stack, StackChatNode } from '../support/stack';

/** A fresh routing key for nginx's sticky hash (what the web client makes per page load). */
export const newStickyKey = () => randomBytes(6).toString('hex');

/**
 * The chat node nginx routes `sticky` to, read from the X-Parley-Node header of an Engine.IO
 * handshake through nginx; the probe session is closed again at once.
 */
export async function nodeOfStickyKey(stack: Pick<Stack, 'url'>, sticky: string): Promise<string> {
  const handshake = await fetch(`${stack.url}/socket.io/?EIO=4&transport=polling&sticky=${sticky}`);
  const node = handshake.headers.get('x-parley-node');
  const body = await handshake.text();
  if (handshake.status !== 200 || !node) {
    throw new Error(`the probe handshake failed: ${handshake.status} ${body}`);
  }
  const { sid } = JSON.parse(body.slice(1)) as { sid: string };
  // "1" is Engine.IO's close packet.
  await fetch(`${stack.url}/socket.io/?EIO=4&transport=polling&sid=${sid}&sticky=${sticky}`, {
    method: 'POST',
    body: '1',
  }).then((response) => response.text());
  return node;
}

/** `count` sticky keys per chat node: the keys nginx routes to that node. */
export async function stickyKeysByNode(stack: Stack, count = 1): Promise<Record<string, string[]>> {
  const keys: Record<string, string[]> = Object.fromEntries(
    stack.chatNodes.map((node) => [node.id, []]),
  );
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (Object.values(keys).every((list) => list.length >= count)) return keys;
    const key = newStickyKey();
    const list = keys[await nodeOfStickyKey(stack, key)];
    if (list && list.length < count) list.push(key);
  }
  throw new Error(`no ${count} sticky keys for every node: ${JSON.stringify(keys)}`);
}

/** The node's own chat_connected_sockets (Socket.IO and plain WebSocket), past nginx. */
export async function connectedSockets(node: StackChatNode): Promise<number> {
  const metrics = await (await fetch(`${node.url}/metrics`)).text();
  const match = /^chat_connected_sockets (\d+)$/m.exec(metrics);
  if (!match) throw new Error('chat_connected_sockets is missing from /metrics');
  return Number(match[1]);
}

/** One line of nginx's access log (the `parley` format of nginx/parley.conf.template). */
export interface AccessLine {
  method: string;
  path: string;
  query: URLSearchParams;
  status: number;
  /** host:port of the upstream(s) that answered, `-` when nginx answered itself. */
  upstream: string;
}

const ACCESS_LINE = /"(\S+) (\S+) HTTP\/[\d.]+" (\d{3}) \d+ upstream=(\S+)/;

export async function accessLog(stack: Stack): Promise<AccessLine[]> {
  const text = await readFile(stack.nginx.accessLog, 'utf8');
  return text
    .split('\n')
    .map((line) => ACCESS_LINE.exec(line))
    .filter((match) => match !== null)
    .map(([, method, target, status, upstream]) => {
      const url = new URL(target!, 'http://nginx');
      return {
        method: method!,
        path: url.pathname,
        query: url.searchParams,
        status: Number(status),
        upstream: upstream!,
      };
    });
}

/** host:port as nginx's $upstream_addr names the node. */
export const upstreamOf = (node: StackChatNode) => `127.0.0.1:${node.port}`;

export const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index);
