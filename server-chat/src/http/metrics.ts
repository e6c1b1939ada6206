import { EVENT_LOOP_SAMPLE_MS } from '@parley/server-kit';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ChatMetrics {
  registry: Registry;
  connectedSockets: Gauge;
  rooms: Gauge;
  messagesPersisted: Counter;
  batchSize: Histogram;
  ackLatency: Histogram;
}

/** Chat metrics; default process metrics (incl. event-loop delay) only in a registry of its own. */
export function createChatMetrics(shared?: Registry): ChatMetrics {
  const registry = shared ?? new Registry();
  if (!shared) {
    collectDefaultMetrics({
      register: registry,
      prefix: 'parley_chat_',
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
  }
  const registers = [registry];
  return {
    registry,
    connectedSockets: new Gauge({
      name: 'chat_connected_sockets',
      help: 'Sockets connected to this node (Socket.IO and plain WebSocket)',
      registers,
    }),
    rooms: new Gauge({
      name: 'chat_rooms_active',
      help: 'Rooms with clients on this node',
      registers,
    }),
    messagesPersisted: new Counter({
      name: 'chat_messages_persisted_total',
      help: 'Messages committed by this node',
      registers,
    }),
    batchSize: new Histogram({
      name: 'chat_batch_size',
      help: 'Messages per group-commit transaction',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers,
    }),
    ackLatency: new Histogram({
      name: 'chat_ack_latency_seconds',
      help: 'From receiving a message to acknowledging it (after commit)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
}
