import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeViolations, chromiumMissing, chromiumSkip, launchChromium } from './chromium.js';
import type { Pool } from 'pg';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { startCameras, type CameraSim } from '@vigil/device-sim';
import { startCommandCenter, type CommandCenter } from '../src/index.js';
import { readNotifyConfig } from '../src/notifications/index.js';
import { startTestBroker, startTestDb, testLogger } from './helpers.js';
import { addUser, TEST_PASSWORD, type TestUser } from './auth-helpers.js';
import { seedViews } from './ui-views-seed.js';

// The extra views' browser tests (ui-views.test.ts, ui-map.test.ts): the command centre as `npm start` runs it,
// seeded (ui-views-seed.ts), and Chromium signed in as an operator. The bindings below are filled in by the hooks
// `useViewsStack()` registers (ES module exports are live); every page's console errors and off-machine requests are kept.
const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));
const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../test-artifacts/ui/', import.meta.url));

export const missing = chromiumMissing;
export const skip = chromiumSkip;

/** Serious or critical axe-core violations inside the extra view shown. */
const viewViolations = (page: Page) => axeViolations(page, '[data-testid^="view-"]');

/** True if the built UI is missing or older than a source file of it. */
function staleBuild(): boolean {
  const built = `${PUBLIC_DIR}/index.html`;
  if (!existsSync(built)) return true;
  const at = statSync(built).mtimeMs;
  const src = fileURLToPath(new URL('../ui/', import.meta.url));
  return readdirSync(src, { recursive: true, encoding: 'utf8' }).some((f) => statSync(`${src}${f}`).mtimeMs > at);
}

export let db: { pool: Pool; close(): Promise<void> };
let broker: { url: string; close(): Promise<void> };
let center: CommandCenter;
let cams: CameraSim | undefined;
let browser: Browser;
export let base: string;
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];
/** Users whose session the test ended on purpose: their 401s are expected. */
export const signedOut = new Set<string>();

export async function signedInPage(user: TestUser, totp?: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } });
  // Nothing may leave the machine (PRODUCT.md: offline, no CDN, no tiles from the internet).
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1') return route.continue();
    foreignRequests.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (m) => {
    if (m.type() === 'error' && !(signedOut.has(user.username) && m.text().includes('status of 401'))) consoleErrors.push(`${user.username}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${user.username}: ${e.message}`));
  // Name the address of each refused request (the console message does not).
  page.on('response', (r) => {
    if (r.status() >= 400 && !(signedOut.has(user.username) && r.status() === 401)) consoleErrors.push(`${user.username}: ${r.status()} ${r.url()}`);
  });
  await page.goto(`${base}/api/health`);
  const body = JSON.stringify({ username: user.username, password: TEST_PASSWORD, ...(totp ? { totp } : {}) });
  const status = await page.evaluate(`fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(body)} }).then((r) => r.status)`);
  assert.equal(status, 200, `sign-in of ${user.username}`);
  return { context, page };
}

export const open = async (page: Page, id: string): Promise<void> => {
  await page.goto(`${base}/#/${id}`);
  await page.getByTestId(`view-${id}`).waitFor();
};
/** Save the screenshot, after checking the view with axe-core: no serious or critical violation. */
export const shot = async (page: Page, id: string): Promise<void> => {
  await page.evaluate(`document.fonts.ready`);
  await page.screenshot({ path: `${SHOTS}${id}.png`, fullPage: true });
  assert.deepEqual(await viewViolations(page), [], `axe on ${id}`);
};

/** Switch the UI to Chinese on view `first`, then open each view and find its texts there (screenshots `<view>-zh`). */
export async function viewsInChinese(first: string, expect: Record<string, string[]>): Promise<void> {
  await open(page, first);
  await page.getByRole('button', { name: '中文' }).click();
  for (const [id, texts] of Object.entries(expect)) {
    await open(page, id);
    for (const text of texts) await page.getByTestId(`view-${id}`).getByText(text, { exact: false }).filter({ visible: true }).first().waitFor();
    await shot(page, `${id}-zh`);
  }
}

/** No page of the suite logged an error (a CSP refusal is one) or asked for anything off 127.0.0.1. */
export function assertNothingBlocked(): void {
  assert.deepEqual(consoleErrors.map((e) => e.slice(0, 300)), []);
  assert.deepEqual(foreignRequests, []);
}

let operator: TestUser;
export let page: Page;

/**
 * Registers the suite's hooks (call it inside the `describe`): the stack up and the operator's page open before its tests,
 * all closed after. `cameras`: also a simulated RTSP camera behind cam-01 (the camera wall).
 */
export function useViewsStack(opts: { cameras: boolean }): void {
  before(async () => {
    if (missing) throw new Error(`CI=true and ${missing}`);
    mkdirSync(SHOTS, { recursive: true });
    if (staleBuild()) execFileSync('npx', ['vite', 'build'], { cwd: PKG_DIR, stdio: 'ignore' });
    db = await startTestDb();
    broker = await startTestBroker();
    // As `npm start` runs it: in-app notifications on (the shell follows their feed), live video through ffmpeg.
    const notify = readNotifyConfig({ VIGIL_NOTIFY_LINK_SECRET: 'a-link-secret-of-at-least-32-characters!' });
    center = await startCommandCenter({ port: 0, host: '127.0.0.1', pool: db.pool, mqttUrl: broker.url, publicDir: PUBLIC_DIR, logger: testLogger, ffmpegPath: ffmpegInstaller.path, notify });
    base = `http://127.0.0.1:${center.port}`;
    await seedViews(db.pool);
    if (opts.cameras) {
      // A simulated RTSP camera behind cam-01, relayed by the command centre as MPEG-1 for JSMpeg.
      cams = await startCameras({ cameras: [{ id: 'cam-01', scene: 'person' }], port: 0, width: 320, height: 240, fps: 5, logger: testLogger });
      await db.pool.query(`UPDATE devices SET stream_url = $1 WHERE id = 'cam-01'`, [cams.url('cam-01')]);
    }
    operator = await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' });
    browser = await launchChromium();
    ({ page } = await signedInPage(operator));
  });

  after(async () => {
    await browser?.close();
    await center?.close();
    await cams?.close();
    await broker?.close();
    await db?.close();
  });
}
