// A child of the load generator holding idle connections (a process holds at most ~20,000 file
// descriptors here). Told what to connect over IPC; reports counts; closes them when told.
import { connectSocketIo, type RawMember } from './sio-client';

export interface IdleJob {
  url: string;
  /** One entry per connection. */
  members: { namespace: string; token?: string }[];
  localAddress: string;
  concurrency: number;
}

export interface IdleReport {
  connected: number;
  failed: number;
  firstError?: string;
}

const sockets: RawMember[] = [];

process.on('message', (message: { job?: IdleJob; close?: true }) => {
  if (message.close) {
    for (const socket of sockets) socket.close();
    process.exit(0);
  }
  if (message.job) void run(message.job);
});

async function run(job: IdleJob): Promise<void> {
  const report: IdleReport = { connected: 0, failed: 0 };
  let next = 0;
  const worker = async () => {
    while (next < job.members.length) {
      const member = job.members[next++]!;
      try {
        sockets.push(
          await connectSocketIo({
            url: job.url,
            namespace: member.namespace,
            auth: member.token ? { token: member.token } : {},
            localAddress: job.localAddress,
            readyEvent: 'history',
          }),
        );
        report.connected++;
      } catch (error) {
        report.failed++;
        report.firstError ??= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  process.send!(report);
}
