import path from 'node:path';
import { runChatScenario } from '../e2e/scenario';
import { startStack, type TestStack } from '../support/stack';
import { accessLog } from './through-nginx';

const SCREENSHOTS = path.resolve(__dirname, '../../test-results/screenshots/via-nginx');

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

test('when two people chat in the browser through nginx and two chat nodes, then the whole flow works under its CSP', async () => {
  const { pageErrors } = await runChatScenario(stack.url, SCREENSHOTS);

  // The page's Content-Security-Policy refused nothing the client needs.
  expect(pageErrors.filter((error) => /Content Security Policy/i.test(error))).toEqual([]);
  // The client sent its per-page sticky key with its Engine.IO requests.
  const engineRequests = (await accessLog(stack)).filter((line) => line.path === '/socket.io/');
  expect(engineRequests.length).toBeGreaterThan(0);
  expect(
    engineRequests.every((line) => /^[0-9a-f]{16}$/.test(line.query.get('sticky') ?? '')),
  ).toBe(true);
}, 120_000);
