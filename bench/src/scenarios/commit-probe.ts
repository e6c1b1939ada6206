// What one commit costs in wall time on the server core, quiet and beside a busy loop: every
// message waits for its commit, so this is the part of chat latency a busy core adds (T11).
import { createHistogram } from 'node:perf_hooks';
import { createMessageBatchWriter } from '@parley/db';
import { createRooms, createUsers, type Postgres } from '../lib/infra';

/** Wall time of one-message commits, in ms: p50 and p99. */
export interface CommitLatency {
  p50Ms: number;
  p99Ms: number;
}

/** One at a time, this far apart: the core idles in between, as under a moderate chat load. */
const GAP_MS = 20;

export interface CommitProbe {
  /** Commits `count` messages one by one, GAP_MS apart. */
  measure(count: number): Promise<CommitLatency>;
  close(): Promise<void>;
}

/** A database of its own on the bench's PostgreSQL, written like the chat service writes. */
export async function startCommitProbe(postgres: Postgres): Promise<CommitProbe> {
  const { url, db } = await postgres.createDatabase('bench_commit_probe');
  const [user] = await createUsers(db, 1, 'commit-probe');
  const [room] = await createRooms(db, user!.id, 1, 'commit-probe');
  const writer = createMessageBatchWriter(url);
  let sequence = 0;
  return {
    async measure(count) {
      const histogram = createHistogram();
      for (let i = 0; i < count; i++) {
        await new Promise((resolve) => setTimeout(resolve, GAP_MS));
        const startedAt = performance.now();
        await writer.write([
          {
            roomId: room!.id,
            userId: user!.id,
            username: user!.username,
            content: `commit probe ${sequence++}`,
            clientId: null,
          },
        ]);
        histogram.record(Math.max(1, Math.round((performance.now() - startedAt) * 1000)));
      }
      return { p50Ms: histogram.percentile(50) / 1000, p99Ms: histogram.percentile(99) / 1000 };
    },
    async close() {
      await writer.close();
      await db.destroy();
    },
  };
}
