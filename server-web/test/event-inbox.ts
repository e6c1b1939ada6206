import { listenEvents, type CommittedEvent } from '@parley/db';
import { createRoom, postMessage, type ApiClient } from './rest-client';

const WAIT_MS = 5_000;

export interface EventInbox {
  /** Everything received so far, in arrival (= commit) order; other suites' events included. */
  received: CommittedEvent[];
  /** Resolves with every event received up to and including the first match; rejects after 5 s. */
  upTo(match: (event: CommittedEvent) => boolean): Promise<CommittedEvent[]>;
  close(): Promise<void>;
}

/** Listens to the committed events of the test database, as a chat node would. */
export async function openEventInbox(): Promise<EventInbox> {
  const received: CommittedEvent[] = [];
  const wakers = new Set<() => void>();
  const listener = await listenEvents({
    databaseUrl: process.env.TEST_DATABASE_URL!,
    onEvent: (event) => {
      received.push(event);
      for (const wake of wakers) wake();
    },
  });
  return {
    received,
    upTo: (match) =>
      new Promise((resolve, reject) => {
        const wake = () => {
          const index = received.findIndex(match);
          if (index < 0) return;
          clearTimeout(timer);
          wakers.delete(wake);
          resolve(received.slice(0, index + 1));
        };
        const timer = setTimeout(() => {
          wakers.delete(wake);
          reject(new Error(`no matching event within ${WAIT_MS} ms`));
        }, WAIT_MS);
        wakers.add(wake);
        wake();
      }),
    close: () => listener.close(),
  };
}

/**
 * Commits a marker message in a room of its own and resolves with every event received up to its
 * event. NOTIFY delivers in commit order, so whatever committed before has arrived by then: what
 * is missing from the result was never published.
 */
export async function eventsUntilMarker(
  inbox: EventInbox,
  client: ApiClient,
): Promise<CommittedEvent[]> {
  const marker = await createRoom(client);
  await postMessage(client, marker.name, 'marker');
  return inbox.upTo((event) => event.type === 'messages_created' && event.roomId === marker.id);
}
