import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, chromiumSkip, launchChromium } from './chromium.js';
import type { MqttClient } from 'mqtt';
import type { Pool } from 'pg';
import { alertsTopic, type Alert } from '@vigil/schemas';
import { startCommandCenter, type CommandCenter } from '../src/index.js';
import { connectPublisher, insertAlert, sampleAlert, startTestBroker, startTestDb, testLogger } from './helpers.js';
import { addUser, seedBasicTree, TEST_PASSWORD } from './auth-helpers.js';

const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));
const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));
const SCREENSHOT = '/tmp/cc.png';

const missing = chromiumMissing;
const skip = chromiumSkip;

describe('command centre in a real browser', { skip }, () => {
  let db: { pool: Pool; close(): Promise<void> };
  let broker: { url: string; close(): Promise<void> };
  let center: CommandCenter;
  let publisher: MqttClient;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  const publish = async (a: Alert): Promise<void> => {
    await publisher.publishAsync(alertsTopic(a.site), JSON.stringify(a), { qos: 1 });
  };
  const titleOf = (a: Alert) => page.locator(`[data-alert-id="${a.id}"] [data-testid="alert-title"]`);

  before(async () => {
    if (missing) throw new Error(`CI=true and ${missing}`);
    if (!existsSync(`${PUBLIC_DIR}/index.html`)) execFileSync('npx', ['vite', 'build'], { cwd: PKG_DIR, stdio: 'ignore' });
    db = await startTestDb();
    broker = await startTestBroker();
    center = await startCommandCenter({ port: 0, host: '127.0.0.1', pool: db.pool, mqttUrl: broker.url, publicDir: PUBLIC_DIR, logger: testLogger });
    await center.alertFeed.whenSubscribed();
    publisher = await connectPublisher(broker.url);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 720 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    // Sign in through the API in the browser's own context, so the page carries the session cookie.
    await seedBasicTree(db.pool);
    const operator = await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' });
    await page.goto(`http://127.0.0.1:${center.port}/api/health`);
    const status = await page.evaluate(
      `fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(${JSON.stringify({ username: 'op-1', password: 'PW' })}) }).then((r) => r.status)`.replace('PW', TEST_PASSWORD),
    );
    assert.equal(status, 200);
    assert.equal(operator.username, 'op-1');
    // Anything the strict Content-Security-Policy blocks shows up as a console error: collect them.
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });

  after(async () => {
    await browser?.close();
    await publisher?.endAsync();
    await center?.close();
    await broker?.close();
    await db?.close();
  });

  test('opens in the browser language with an empty list and a live stream', async () => {
    await page.goto(`http://127.0.0.1:${center.port}/`);
    await page.getByRole('heading', { level: 1, name: 'Vigil 指挥中心 / Command Centre' }).waitFor();
    await page.getByTestId('link-state').filter({ hasText: 'Live' }).waitFor();
    await page.getByTestId('empty').filter({ hasText: 'No alerts' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  });

  test('an alert published over MQTT appears in the list', async () => {
    const a = sampleAlert({ severity: 'critical', title: { en: 'Strap tamper: tag cut', 'zh-CN': '腕带被破坏：电子标签被剪断' } });
    await publish(a);
    await titleOf(a).filter({ hasText: 'Strap tamper: tag cut' }).waitFor();
    const row = page.locator(`[data-alert-id="${a.id}"]`);
    assert.match((await row.getAttribute('class')) ?? '', /sev-critical/);
    assert.match(await row.innerText(), /Critical[\s\S]*prison-a[\s\S]*tag-0001/);
    assert.equal(await page.getByTestId('empty').count(), 0);
  });

  test('switching to Chinese shows the Chinese title, and the choice is remembered', async () => {
    const stored = sampleAlert({ site: 'office-b', dev: 'tag-0042', severity: 'medium', raised_ts: Date.now() - 3_600_000, last_ts: Date.now() - 60_000, count: 4, title: { en: 'Curfew breach: not at home', 'zh-CN': '违反宵禁：不在居所' } });
    await insertAlert(db.pool, stored);
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByTestId('link-state').filter({ hasText: '实时' }).waitFor();
    await page.getByText('腕带被破坏：电子标签被剪断').waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');

    await page.reload(); // the list comes back from GET /api/alerts, in the remembered language
    await titleOf(stored).filter({ hasText: '违反宵禁：不在居所' }).waitFor();
    assert.match(await page.locator(`[data-alert-id="${stored.id}"]`).innerText(), /中[\s\S]*office-b[\s\S]*tag-0042[\s\S]*4/);

    // A few more, of each severity, for the screenshot.
    await publish(sampleAlert({ severity: 'high', dev: 'gate-07', title: { en: 'Door forced open: block C east', 'zh-CN': '门被强行打开：C 区东门' } }));
    await publish(sampleAlert({ severity: 'critical', dev: 'cam-12', title: { en: 'Person down: yard 2', 'zh-CN': '人员倒地：二号放风场' } }));
    await publish(sampleAlert({ severity: 'low', site: 'office-b', dev: 'tag-0108', title: { en: 'Battery low: 15%', 'zh-CN': '电量低：15%' } }));
    await page.getByText('电量低：15%').waitFor();
    // The bundled CJK font loads slice by slice on demand: load every slice the page's text needs first.
    // (A string, evaluated in the page: this file is type-checked without the DOM library.)
    await page.evaluate(`document.fonts.load('500 16px "Noto Sans SC Variable"', document.body.innerText).then(() => document.fonts.ready)`);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('the devices panel shows who is connected and who is offline, in the chosen language', async () => {
    const since = new Date(Date.now() - 600_000);
    await db.pool.query(
      `INSERT INTO device_presence (device_id, site_id, online, since, last_msg_id) VALUES
         ('tag-0001', 'prison-a', true, $1, gen_random_uuid()), ('gate-07', 'prison-a', false, $1, gen_random_uuid())`,
      [since],
    );
    await page.reload();
    const offline = page.locator('[data-testid="presence"] [data-device-id="gate-07"]');
    await offline.filter({ hasText: '离线' }).waitFor();
    assert.match((await offline.getAttribute('class')) ?? '', /offline/);
    await page.locator('[data-testid="presence"] [data-device-id="tag-0001"]').filter({ hasText: '在线' }).waitFor();
    await page.getByTestId('presence').filter({ hasText: '1 / 2 在线' }).waitFor();
  });

  test('the page runs under the strict Content-Security-Policy with nothing blocked', async () => {
    const res = await page.reload();
    const csp = (await res?.allHeaders())?.['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.deepEqual(consoleErrors.filter((e) => /Content Security Policy|Refused/i.test(e)).map((e) => e.slice(0, 200)), []);
  });
});
