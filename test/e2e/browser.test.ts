import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { freePort, startProduct, stop } from '../support/product';

const SCREENSHOTS = path.resolve(__dirname, '../../test-results/screenshots');
const WAIT_MS = 15_000;
// Debian's chromium as root, without the background traffic a closed network refuses.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let database: TestDatabase;
let workDir: string;
let product: { child: ChildProcess; url: string };
let browser: Browser;

beforeAll(async () => {
  database = await createTestDatabase('parley_e2e');
  workDir = await mkdtemp(path.join(os.tmpdir(), 'parley-e2e-'));
  product = await startProduct(workDir, await freePort(), undefined, {
    DATABASE_URL: database.url,
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  await mkdir(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (product) await stop(product.child);
  await database?.drop();
  await rm(workDir, { recursive: true, force: true });
});

async function register(page: Page, username: string): Promise<void> {
  await page.goto(`${product.url}/register`);
  await page.getByLabel('Email').fill(`${username}@example.org`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/rooms', { timeout: WAIT_MS });
}

async function send(page: Page, content: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill(content);
  await composer.press('Enter');
}

const seen = (page: Page, text: string) =>
  page.getByText(text, { exact: true }).first().waitFor({ timeout: WAIT_MS });

test('two people chat in a room in real time, see its history after a reload, and see it deleted', async () => {
  const suffix = Date.now().toString(36);
  const roomName = `e2e-${suffix}`;
  const ann = await (await browser.newContext()).newPage();
  const bob = await (
    await browser.newContext({ viewport: { width: 1280, height: 800 } })
  ).newPage();

  // Both register; Ann creates the room and lands in it.
  await register(ann, `ann-${suffix}`);
  await register(bob, `bob-${suffix}`);
  await ann.getByLabel('New room name').fill(roomName);
  await ann.getByRole('button', { name: 'Create room' }).click();
  await ann.waitForURL(`**/rooms/${roomName}`, { timeout: WAIT_MS });

  // Bob finds it by searching and opens it.
  await bob.getByLabel('Search rooms').fill(suffix);
  await bob.getByRole('link', { name: roomName }).click();
  await bob.waitForURL(`**/rooms/${roomName}`, { timeout: WAIT_MS });
  await seen(bob, '2 online');

  // Messages go both ways, live.
  await send(ann, 'Hello Bob 👋');
  await seen(bob, 'Hello Bob 👋');
  await send(bob, 'Hi Ann, nice room');
  await seen(ann, 'Hi Ann, nice room');

  // Markup is shown as text, never rendered.
  const payload = '<img src=x onerror=alert(1)>';
  await send(ann, payload);
  await seen(bob, payload);
  expect(await bob.locator('main img').count()).toBe(0);

  // After a reload Bob sees the history.
  await bob.reload();
  for (const text of ['Hello Bob 👋', 'Hi Ann, nice room', payload]) await seen(bob, text);
  await seen(bob, '2 online');

  await bob.screenshot({ path: path.join(SCREENSHOTS, 'room-1280.png') });
  await bob.setViewportSize({ width: 375, height: 740 });
  await bob.screenshot({ path: path.join(SCREENSHOTS, 'room-375.png') });

  // Ann deletes the room; Bob is told.
  await ann.goto(`${product.url}/rooms`);
  await ann.getByLabel('Search rooms').fill(suffix);
  await ann.getByRole('button', { name: `Delete room ${roomName}` }).click();
  await ann.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await seen(bob, 'This room no longer exists.');
}, 120_000);
