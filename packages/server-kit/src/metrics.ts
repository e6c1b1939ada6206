/**
 * How often the services' event-loop delay histogram (prom-client's default metrics) samples:
 * every 100 ms, not every 10 (prom-client's default). At 10 ms its timer was most of an idle chat
 * node's wake-ups (~100 of ~113 a second with 19,800 idle sockets) and 0.6–1 % of a core (npm run
 * bench, T7-cpu). A stall longer than 100 ms is still always seen, and measured in full.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;
