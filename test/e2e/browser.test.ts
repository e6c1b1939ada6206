import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { freePort, startProduct, stop } from '../support/product';
import { runChatScenario, runOfflineScenario } from './scenario';

const SCREENSHOTS = path.resolve(__dirname, '../../test-results/screenshots');

let database: TestDatabase;
let workDir: string;
let product: { child: ChildProcess; url: string };

beforeAll(async () => {
  database = await createTestDatabase('parley_e2e');
  workDir = await mkdtemp(path.join(os.tmpdir(), 'parley-e2e-'));
  product = await startProduct(workDir, await freePort(), undefined, {
    DATABASE_URL: database.url,
  });
}, 120_000);

afterAll(async () => {
  if (product) await stop(product.child);
  await database?.drop();
  await rm(workDir, { recursive: true, force: true });
});

test('two people chat in a room in real time, see its history after a reload, and see it deleted', async () => {
  await runChatScenario(product.url, SCREENSHOTS);
}, 120_000);

test('messages written offline, and one left unsent when its page went, are stored once each, in order, once the network is back', async () => {
  const { stored, seenByOther, statusWhileOffline } = await runOfflineScenario(product.url);

  const written = ['before', 'offline 1', 'offline 2', 'offline 3', 'left unsent', 'marker'];
  expect(stored).toEqual(written);
  expect(seenByOther).toEqual(written);
  expect(statusWhileOffline).toBe('Connection lost — reconnecting…');
}, 120_000);
