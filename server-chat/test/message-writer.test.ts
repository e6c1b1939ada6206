import { AppError } from '@parley/server-kit';
import { startChatNode, type ChatNode } from '../../test/support/chat-node';
import { startWebApp, type WebApp } from '../../test/support/web-app';
import { createMessageWriter, type RoomRef } from '../src/messages/message-writer';
import { roomOf, rowsOf, signUpMember, type Member } from './chat-fixture';

let app: WebApp;
let node: ChatNode;
beforeAll(async () => {
  app = await startWebApp();
  node = await startChatNode();
});
afterAll(async () => {
  await node?.close();
  await app?.close();
});

/** The group commit of a node, on its own database connection and metrics. */
function writer() {
  return createMessageWriter({
    batchWriter: node.deps.batchWriter,
    metrics: node.deps.metrics,
    flushWindowMs: 5,
    maxBatchSize: 500,
  });
}

const draft = (member: Member, content: string, clientId: string | null = null) => ({
  userId: member.account.user.id,
  username: member.username,
  content,
  clientId,
});

/** What became of a submitted message: its content once stored, or the error code. */
function outcome(written: Promise<{ message: { content: string } }>) {
  return written.then(
    ({ message }) => message.content,
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );
}

describe('the group commit', () => {
  // Schemas refuse such input before it gets here; this is the writer's own line of defence.
  it('when one message of a batch is refused by PostgreSQL, then the others of the batch are stored and only that one fails', async () => {
    const alice = await signUpMember(app, 'alice');
    const mallory = await signUpMember(app, 'mallory');
    const aliceRoom: RoomRef = await roomOf(alice);
    const malloryRoom: RoomRef = await roomOf(mallory);
    const group = writer();

    // Submitted in one tick: one batch.
    const outcomes = await Promise.all([
      outcome(group.submit(aliceRoom, draft(alice, 'before'))),
      outcome(group.submit(malloryRoom, draft(mallory, 'poison', 'p\u0000x'))),
      outcome(group.submit(aliceRoom, draft(alice, 'after'))),
    ]);

    expect(outcomes).toEqual(['before', 'validation_failed', 'after']);
    const stored = await rowsOf(app, aliceRoom.id);
    expect(stored.map((row) => [row.seq, row.content])).toEqual([
      [1, 'before'],
      [2, 'after'],
    ]);
    expect(await rowsOf(app, malloryRoom.id)).toEqual([]);
  });
});
