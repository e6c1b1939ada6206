// The bare-route ceiling of T10: Express 5 with one small JSON route and nothing else (no
// middleware, no database), so it shows the most an Express route answers on one core.
// Run: node --import tsx bench/src/servers/bare-express.ts (env PORT, 0 = any free port).
import type { AddressInfo } from 'node:net';
import express from 'express';

const port = Number(process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0) throw new Error(`PORT is not a port: ${process.env.PORT}`);

const app = express();
app.get('/', (_req, res) => {
  res.json({ status: 'ok' });
});

const server = app.listen(port, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});

process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  // Keep-alive connections of a load generator would hold close() open.
  server.closeAllConnections();
});
