import { startChatNode } from './chat-node';

// Entry of a chat node in a process of its own (see chat-node-process.ts): argv[2] is the env
// as JSON; the node's port goes to stdout as one JSON line once it listens.
async function main(): Promise<void> {
  const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
  const node = await startChatNode(env);
  process.on('SIGTERM', () => {
    node.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write(`${JSON.stringify({ port: node.port })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`chat node failed to start: ${String(error)}\n`);
  process.exit(1);
});
