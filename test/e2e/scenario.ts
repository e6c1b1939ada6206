import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

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

export interface ScenarioResult {
  /** Console errors and uncaught exceptions of both pages (e.g. Content-Security-Policy refusals). */
  pageErrors: string[];
}

/**
 * The client's end-to-end flow against the product at `baseUrl` (npm start or nginx): two people
 * register, chat live, reload, and one deletes the room. Screenshots go to `screenshotsDir`.
 */
export async function runChatScenario(
  baseUrl: string,
  screenshotsDir: string,
): Promise<ScenarioResult> {
  await mkdir(screenshotsDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  try {
    return await chatInRoom(browser, baseUrl, screenshotsDir);
  } finally {
    await browser.close();
  }
}

async function chatInRoom(
  browser: Browser,
  baseUrl: string,
  screenshotsDir: string,
): Promise<ScenarioResult> {
  const pageErrors: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  };
  const suffix = Date.now().toString(36);
  const roomName = `e2e-${suffix}`;
  const ann = watch(await (await browser.newContext()).newPage());
  const bob = watch(
    await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage(),
  );

  // Both register; Ann creates the room and lands in it.
  await register(ann, baseUrl, `ann-${suffix}`);
  await register(bob, baseUrl, `bob-${suffix}`);
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

  await bob.screenshot({ path: path.join(screenshotsDir, 'room-1280.png') });
  await bob.setViewportSize({ width: 375, height: 740 });
  await bob.screenshot({ path: path.join(screenshotsDir, 'room-375.png') });
  // On a phone the app bar stays one row: Sign out beside the brand, not below it.
  const brand = (await bob.getByRole('link', { name: 'Parley' }).boundingBox())!;
  const signOut = (await bob.getByRole('button', { name: 'Sign out' }).boundingBox())!;
  expect(signOut.y).toBeLessThan(brand.y + brand.height);

  // Ann deletes the room; Bob is told.
  await ann.goto(`${baseUrl}/rooms`);
  await ann.getByLabel('Search rooms').fill(suffix);
  await ann.getByRole('button', { name: `Delete room ${roomName}` }).click();
  await ann.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await seen(bob, 'This room no longer exists.');
  return { pageErrors };
}

/**
 * Never losing a message in the real browser: messages written while the network is down, and one
 * left unsent when its page went, are stored once each, in the order written, once it is back.
 * Returns the room's stored contents in seq order, as the other member saw them.
 */
export async function runOfflineScenario(baseUrl: string): Promise<{
  stored: string[];
  seenByOther: string[];
  statusWhileOffline: string;
}> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  try {
    const suffix = Date.now().toString(36);
    const roomName = `offline-${suffix}`;
    const annContext = await browser.newContext();
    const ann = await annContext.newPage();
    const bob = await (await browser.newContext()).newPage();
    await register(ann, baseUrl, `ann-o-${suffix}`);
    await register(bob, baseUrl, `bob-o-${suffix}`);
    await ann.getByLabel('New room name').fill(roomName);
    await ann.getByRole('button', { name: 'Create room' }).click();
    await ann.waitForURL(`**/rooms/${roomName}`, { timeout: WAIT_MS });
    await bob.goto(`${baseUrl}/rooms/${roomName}`);
    await seen(bob, '2 online');
    await send(ann, 'before');
    await seen(bob, 'before');

    // The network goes while Ann writes three messages; the page says so at once.
    await annContext.setOffline(true);
    for (const content of ['offline 1', 'offline 2', 'offline 3']) await send(ann, content);
    const status = ann.getByRole('status').filter({ hasText: 'Connection' }).first();
    await status.waitFor({ timeout: WAIT_MS });
    const statusWhileOffline = (await status.textContent())?.trim() ?? '';
    await annContext.setOffline(false);
    await seen(bob, 'offline 3');

    // One more, then the page goes before it is sent (offline again), and comes back.
    await annContext.setOffline(true);
    await send(ann, 'left unsent');
    await ann.getByRole('link', { name: 'Parley' }).click();
    await ann.waitForURL('**/rooms', { timeout: WAIT_MS });
    await annContext.setOffline(false);
    await ann.goto(`${baseUrl}/rooms/${roomName}`);
    await seen(bob, 'left unsent');
    await send(bob, 'marker');
    await seen(ann, 'marker');

    const response = await ann.request.get(`${baseUrl}/api/rooms/${roomName}/messages`);
    const { messages } = (await response.json()) as { messages: { content: string }[] };
    const seenByOther = await bob.locator('.message .content').allTextContents();
    return {
      stored: messages.map((message) => message.content),
      seenByOther: seenByOther.map((text) => text.trim()),
      statusWhileOffline,
    };
  } finally {
    await browser.close();
  }
}

async function register(page: Page, baseUrl: string, username: string): Promise<void> {
  await page.goto(`${baseUrl}/register`);
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
