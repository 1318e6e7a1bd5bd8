import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeViolations, chromiumMissing, chromiumSkip, launchChromium } from './chromium.js';
import type { MqttClient } from 'mqtt';
import type { Pool } from 'pg';
import { alertsTopic, newId, type Alert } from '@vigil/schemas';
import { currentTotp, startCommandCenter, type CommandCenter } from '../src/index.js';
import { readNotifyConfig } from '../src/notifications/index.js';
import { signLink } from '../src/notifications/deep-link.js';
import { connectPublisher, insertAlert, sampleAlert, startTestBroker, startTestDb, testLogger } from './helpers.js';
import { addUser, seedBasicTree, TEST_PASSWORD, type TestUser } from './auth-helpers.js';

const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));
const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../test-artifacts/ui/', import.meta.url));
const LINK_SECRET = 'a-link-secret-of-at-least-32-characters!';
/** Generous: a shared 2-core machine can be slow; waits end as soon as the page is ready. */
const WAIT_MS = 20_000;

const missing = chromiumMissing;
const skip = chromiumSkip;


describe('command centre UI: sign-in, queue, detail, dispatch, disposal, scope, officer phone (real browser)', { skip }, () => {
  let db: { pool: Pool; close(): Promise<void> };
  let broker: { url: string; close(): Promise<void> };
  let center: CommandCenter;
  let publisher: MqttClient;
  let browser: Browser;
  let base: string;
  let opOne: TestUser;
  let page: Page;
  const contexts: BrowserContext[] = [];
  const consoleErrors: string[] = [];
  const fix = { msg_id: newId(), ts: Date.now() - 60_000, lat: 30.25, lon: 120.15, acc_m: 5 };
  const breach = sampleAlert({
    site: 'prison-1',
    dev: 'tag-0101',
    subject: undefined,
    severity: 'critical',
    title: { en: 'Exclusion zone entered: perimeter fence', 'zh-CN': '进入禁区：围墙周界' },
    evidence: { fixes: [fix], zone_id: 'zone-fence', zone_name: 'Perimeter fence' },
  });
  const elsewhere = sampleAlert({ site: 'prison-2', dev: 'gate-0201', subject: undefined, severity: 'high', rule: 'gate.forced', title: { en: 'Door forced open: block B', 'zh-CN': '门被强行打开：B 区' } });

  /** As analytics does: store the alert, then publish it on the site's alert topic. */
  const raise = async (a: Alert): Promise<void> => {
    await insertAlert(db.pool, a);
    await publisher.publishAsync(alertsTopic(a.site), JSON.stringify(a), { qos: 1 });
  };
  const shot = async (p: Page, name: string): Promise<void> => {
    // The bundled CJK font loads slice by slice: load what the page's text needs before the picture.
    await p.evaluate(`document.fonts.load('500 16px "Noto Sans SC Variable"', document.body.innerText).then(() => document.fonts.ready)`);
    await p.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  };
  const newPage = async (opts: { width: number; height: number; mobile?: boolean } = { width: 1280, height: 800 }): Promise<Page> => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: opts.width, height: opts.height }, ...(opts.mobile ? { hasTouch: true, deviceScaleFactor: 2 } : {}) });
    contexts.push(context);
    const p = await context.newPage();
    p.setDefaultTimeout(WAIT_MS);
    p.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    return p;
  };
  /** Sign in through the form: password, then the TOTP code when the user has one. */
  const signIn = async (p: Page, u: TestUser): Promise<void> => {
    await p.getByLabel('User name').fill(u.username);
    await p.getByLabel('Password').fill(TEST_PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    if (u.totpSecret) {
      await p.getByRole('heading', { name: 'Second factor' }).waitFor();
      await p.getByLabel('Code').fill(await currentTotp(u.totpSecret));
      await p.getByRole('button', { name: 'Verify' }).click();
    }
    await p.getByTestId('sign-out').waitFor();
  };
  const row = (p: Page, a: Alert) => p.locator(`tr[data-alert-id="${a.id}"]`);

  before(async () => {
    if (missing) throw new Error(`CI=true and ${missing}`);
    if (!existsSync(`${PUBLIC_DIR}/index.html`)) execFileSync('npx', ['vite', 'build'], { cwd: PKG_DIR, stdio: 'ignore' });
    mkdirSync(SHOTS, { recursive: true });
    db = await startTestDb();
    broker = await startTestBroker();
    await seedBasicTree(db.pool);
    // Two prisons, each in its own unit under the ministry: an operator of one must not see the other's alerts.
    await db.pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('unit-p1', 'moj', 2, 'Prison 1 unit', '一监'), ('unit-p2', 'moj', 2, 'Prison 2 unit', '二监')`);
    await db.pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prison-1', 'unit-p1', 'prison', 'Prison 1', '第一监狱'), ('prison-2', 'unit-p2', 'prison', 'Prison 2', '第二监狱')`);
    opOne = await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'unit-p1', totp: true });
    await addUser(db.pool, { id: 'off-near', role: 'officer', orgUnit: 'unit-p1' });
    await addUser(db.pool, { id: 'off-far', role: 'officer', orgUnit: 'unit-p1' });
    // near is 1 km from the breach, far 10 km: near is the suggestion.
    await db.pool.query(`INSERT INTO officer_positions (user_id, lat, lon, at, available) VALUES ('off-near', 30.259, 120.15, now(), true), ('off-far', 30.34, 120.15, now(), true)`);
    // Notifications: high alerts of prison 1 go to off-near in the app (the officer's banner).
    await db.pool.query(
      `INSERT INTO notification_policies (id, name_en, name_zh, site_id, min_severity, recipients, channels, escalation)
       VALUES ('p1-officer', 'Prison 1 to the officer', '一监通知民警', 'prison-1', 'high', $1, $2, '[]')`,
      [JSON.stringify([{ kind: 'user', id: 'off-near' }]), ['in-app']],
    );
    const notify = readNotifyConfig({ VIGIL_NOTIFY_LINK_SECRET: LINK_SECRET });
    center = await startCommandCenter({ port: 0, host: '127.0.0.1', pool: db.pool, mqttUrl: broker.url, publicDir: PUBLIC_DIR, logger: testLogger, notify, notifyTimings: { pollMs: 50 } });
    await center.alertFeed.whenSubscribed();
    base = `http://127.0.0.1:${center.port}`;
    publisher = await connectPublisher(broker.url);
    browser = await launchChromium();
    page = await newPage();
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await publisher?.endAsync();
    await center?.close();
    await broker?.close();
    await db?.close();
  });

  test('sign-in: a wrong password is refused in both languages, then password and TOTP open the queue', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(page, 'login');
    assert.deepEqual(await axeViolations(page), [], 'axe on the sign-in form');
    await page.getByLabel('User name').fill('op-1');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const err = page.getByTestId('login-error');
    await err.waitFor();
    assert.match(await err.innerText(), /invalid user name[\s\S]*错误/);

    await signIn(page, opOne);
    await page.getByTestId('link-state').filter({ hasText: 'Live' }).waitFor();
    await page.getByTestId('empty').filter({ hasText: 'No alerts' }).waitFor();
  });

  test('a breach published over MQTT arrives; j selects it, a acknowledges it, Enter opens it', async () => {
    await raise(breach);
    await raise(elsewhere); // another prison's: not for this operator
    const r = row(page, breach);
    await r.getByTestId('alert-title').filter({ hasText: 'Exclusion zone entered' }).waitFor();
    assert.match((await r.getAttribute('class')) ?? '', /sev-critical/);
    assert.match(await r.innerText(), /Critical[\s\S]*prison-1[\s\S]*tag-0101/);
    await page.locator('[data-state="raised"] .n').filter({ hasText: '1' }).waitFor();
    assert.equal(await row(page, elsewhere).count(), 0);

    // Filters and sorting: a severity filter that excludes it, then back; a column sorted both ways.
    await page.getByTestId('filter-severity').selectOption('low');
    await page.getByTestId('no-match').waitFor();
    await page.getByTestId('filter-severity').selectOption('');
    await r.waitFor();
    const severityHeader = page.locator('th').filter({ has: page.getByRole('button', { name: 'Severity' }) });
    await page.getByRole('button', { name: 'Severity' }).click();
    assert.equal(await severityHeader.getAttribute('aria-sort'), 'descending');
    await page.getByRole('button', { name: 'Severity' }).click();
    assert.equal(await severityHeader.getAttribute('aria-sort'), 'ascending');
    await page.locator('body').click({ position: { x: 5, y: 400 } }); // focus back on the page, not a control

    await page.keyboard.press('j');
    assert.equal(await r.getAttribute('aria-current'), 'true');
    await page.keyboard.press('a');
    await r.getByTestId('alert-state').filter({ hasText: 'Acknowledged' }).waitFor();
    await page.keyboard.press('?');
    await page.getByTestId('help').getByRole('heading', { name: 'Keyboard shortcuts' }).waitFor();
    await shot(page, 'shortcuts');
    await page.keyboard.press('Escape');
    await page.getByTestId('help').waitFor({ state: 'hidden' });
    await shot(page, 'queue');
    assert.deepEqual(await axeViolations(page), [], 'axe on the queue');

    await r.getByTestId('alert-title').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('alert-detail').waitFor();
    assert.equal(new URL(page.url()).hash, `#/alerts/${breach.id}`);
  });

  test('detail: dispatch to the suggested officer, arrive, a close without a note is refused, then closed', async () => {
    const state = page.getByTestId('detail-state');
    await state.filter({ hasText: 'Acknowledged' }).waitFor();
    const near = page.locator('[data-officer-id="off-near"]');
    await near.getByTestId('suggested').waitFor();
    assert.equal(await near.getByRole('radio').isChecked(), true);
    await page.getByRole('button', { name: 'Assign' }).click();
    await state.filter({ hasText: 'Dispatched' }).waitFor();
    await page.getByTestId('detail-officer').filter({ hasText: 'off-near' }).waitFor();

    await page.getByRole('button', { name: 'Arrived' }).click();
    await state.filter({ hasText: 'On scene' }).waitFor();

    await page.getByTestId('disposition-code').selectOption('false_alarm');
    await page.getByRole('button', { name: 'Close with disposition' }).click();
    const refusal = page.getByTestId('disposition-error');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /note[\s\S]*说明/);
    assert.equal(await page.getByTestId('disposition-note').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await axeViolations(page), [], 'axe on the detail');

    await page.getByTestId('disposition-note').fill('Gardener on the fence line with permission; tag brushed the wire.');
    await page.getByRole('button', { name: 'Close with disposition' }).click();
    await state.filter({ hasText: 'Resolved' }).waitFor();
    const steps = page.locator('[data-testid="timeline"] li');
    await page.locator('[data-testid="timeline"] li[data-to="resolved"]').waitFor();
    assert.deepEqual(await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-to'))), ['acknowledged', 'dispatched', 'on_scene', 'resolved']);
    // The evidence on the offline map: the track of the fixes drawn over the bundled outlines.
    await page.locator('[data-testid="evidence-map"] .track-line').waitFor({ state: 'attached' });
    await shot(page, 'detail');
  });

  test('switching to Chinese relabels the shell and the detail', async () => {
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('navigation').getByRole('link', { name: '告警队列' }).waitFor();
    await page.getByTestId('detail-state').filter({ hasText: '已处置' }).waitFor();
    await page.getByRole('heading', { name: '处置时间线' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    await shot(page, 'detail-zh');
    await page.getByRole('navigation').getByRole('link', { name: '告警队列' }).click();
    await page.getByRole('heading', { name: '实时告警' }).waitFor();
    await page.getByTestId('filter-state').selectOption('all');
    await row(page, breach).getByTestId('alert-state').filter({ hasText: '已处置' }).waitFor();
    assert.equal(await row(page, breach).getAttribute('aria-current'), 'true', 'the queue kept its selection while the alert was open');
    await shot(page, 'queue-zh');
  });

  test('scope: an operator of the other prison sees its alert and not this one', async () => {
    const other = await addUser(db.pool, { id: 'op-2', role: 'operator', orgUnit: 'unit-p2' });
    const p = await newPage();
    await p.goto(`${base}/#/alerts/${breach.id}`);
    await signIn(p, other);
    // Back where the sign-in started, and the other prison's alert is a plain "not found".
    await p.getByText('No such alert, or it is outside your scope.').waitFor();
    await p.getByRole('navigation').getByRole('link', { name: 'Alert queue' }).click();
    await row(p, elsewhere).getByTestId('alert-title').filter({ hasText: 'Door forced open' }).waitFor();
    assert.equal(await row(p, breach).count(), 0);

    // The session ends under the page (signed out elsewhere): the next action brings the sign-in form
    // back, and signing in again returns to the same alert.
    await row(p, elsewhere).getByTestId('alert-title').click();
    await p.getByTestId('alert-detail').waitFor();
    assert.equal(await p.evaluate(`fetch('/api/auth/logout', { method: 'POST' }).then((r) => r.status)`), 204);
    await p.getByRole('button', { name: 'Acknowledge' }).click();
    await p.getByText('Your session has ended; please sign in again.').waitFor();
    await signIn(p, other);
    await p.locator(`[data-testid="alert-detail"][data-alert-id="${elsewhere.id}"]`).waitFor();
    await p.keyboard.press('a'); // the shortcut works in the detail too
    await p.getByTestId('detail-state').filter({ hasText: 'Acknowledged' }).waitFor();

    // Shelved: out of the queue until asked for.
    await p.getByLabel('Reason').fill('Door under repair until the afternoon');
    await p.getByRole('button', { name: 'Shelve', exact: true }).click();
    await p.getByTestId('detail-state').filter({ hasText: 'Shelved' }).waitFor();
    await p.keyboard.press('Escape');
    await p.getByTestId('no-match').waitFor();
    await p.getByTestId('show-hidden').check();
    await row(p, elsewhere).getByTestId('alert-state').filter({ hasText: 'Shelved' }).waitFor();
    await p.locator('[data-state="shelved"] .n').filter({ hasText: '1' }).waitFor();
  });

  test('an administrator without a second factor sets one up at sign-in (QR code and key), then is in', async () => {
    await addUser(db.pool, { id: 'admin-new', role: 'administrator', orgUnit: 'moj', totp: false });
    const p = await newPage();
    await p.goto(`${base}/`);
    await p.getByLabel('User name').fill('admin-new');
    await p.getByLabel('Password').fill(TEST_PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Set up the second factor' }).waitFor();
    await p.getByRole('button', { name: 'Set it up' }).click();
    await p.getByRole('img', { name: 'QR code to scan with the authenticator app' }).waitFor();
    const secret = (await p.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
    await shot(p, 'totp-enrol');
    assert.deepEqual(await axeViolations(p), [], 'axe on the enrolment');
    await p.getByLabel('Code', { exact: true }).fill(await currentTotp(secret));
    await p.getByRole('button', { name: 'Confirm and sign in' }).click();
    await p.getByTestId('user').filter({ hasText: 'administrator' }).waitFor();
    const { rows } = await db.pool.query<{ totp_enabled: boolean }>(`SELECT totp_enabled FROM users WHERE id = 'admin-new'`);
    assert.equal(rows[0]?.totp_enabled, true);

    // Administration: a user refused for a weak password (the API's message), then created; a device registered,
    // its secret shown once.
    await p.getByRole('navigation').getByRole('link', { name: 'Administration' }).click();
    const users = p.getByTestId('users-table');
    await users.locator('[data-user-id="op-1"]').waitFor();
    const form = p.locator('form').filter({ has: p.getByRole('heading', { name: 'Add a user' }) });
    await form.getByLabel('ID', { exact: true }).fill('op-3');
    await form.getByLabel('User name').fill('op-3');
    await form.getByLabel('Name', { exact: true }).fill('Operator Three');
    await form.getByLabel('Unit').selectOption('unit-p2');
    await form.getByLabel('First password').fill('short');
    await form.getByRole('button', { name: 'Create' }).click();
    await p.getByTestId('admin-error').filter({ hasText: /password/i }).waitFor();
    await form.getByLabel('First password').fill('a long enough passphrase for the third');
    await form.getByRole('button', { name: 'Create' }).click();
    await users.locator('[data-user-id="op-3"]').filter({ hasText: 'Operator Three' }).waitFor();
    await shot(p, 'admin-users');
    assert.deepEqual(await axeViolations(p), [], 'axe on administration: users');

    await p.getByRole('button', { name: 'Devices and credentials' }).click();
    const dform = p.locator('form').filter({ has: p.getByRole('heading', { name: 'Register a device' }) });
    await dform.getByLabel('ID', { exact: true }).fill('tag-0900');
    await dform.getByLabel('Site').selectOption('prison-2');
    await dform.getByRole('button', { name: 'Register' }).click();
    await p.getByTestId('device-secret').filter({ hasText: 'tag-0900' }).waitFor();
    await p.getByTestId('devices-table').locator('[data-device-id="tag-0900"]').waitFor();
    await shot(p, 'admin-devices');
    assert.deepEqual(await axeViolations(p), [], 'axe on administration: devices');

    await p.getByRole('button', { name: 'Rules and thresholds' }).click();
    await p.getByTestId('thresholds').getByRole('button', { name: 'Save thresholds' }).waitFor();
    await p.getByTestId('rules-doors').getByText('None yet.').waitFor();
    assert.deepEqual(await axeViolations(p), [], 'axe on administration: rules');
  });

  test('officer phone: a notification link after sign-in, accept, arrive, navigate, close (390 px wide)', async () => {
    const task = sampleAlert({ site: 'prison-1', dev: 'tag-0102', subject: undefined, severity: 'high', title: { en: 'Curfew breach: not at home', 'zh-CN': '违反宵禁：不在居所' }, evidence: { fixes: [{ ...fix, msg_id: newId(), lat: 30.2612, lon: 120.1655 }] } });
    await raise(task);
    const nid = newId();
    await db.pool.query(`INSERT INTO notifications (id, kind, channel, user_id, address, lang, state) VALUES ($1, 'single', 'in-app', 'off-near', 'off-near', 'en', 'sent')`, [nid]);
    await db.pool.query(`INSERT INTO notification_alerts (notification_id, alert_id, channel, address, step, summary) VALUES ($1, $2, 'in-app', 'off-near', 0, '{}')`, [nid, task.id]);
    const token = signLink(Buffer.from(LINK_SECRET, 'utf8'), nid, Date.now() + 3_600_000);

    const p = await newPage({ width: 390, height: 844, mobile: true });
    await p.goto(`${base}/m/${token}`); // signed out: the server sends it to the sign-in form with ?next=
    await p.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(p.url(), /\?next=/);
    await signIn(p, { id: 'off-near', username: 'off-near', role: 'officer', orgUnit: 'unit-p1' });
    const card = p.locator(`[data-testid="notify-view"] [data-alert-id="${task.id}"]`);
    await card.getByText('Curfew breach: not at home').waitFor();
    await shot(p, 'notify');
    await card.getByRole('button', { name: 'Accept dispatch' }).click();
    await card.getByText('Dispatched').waitFor();

    await p.getByRole('link', { name: 'My tasks' }).click();
    const mine = p.locator(`[data-testid="mine-view"] [data-alert-id="${task.id}"]`);
    await mine.getByTestId('task-state').filter({ hasText: 'Dispatched' }).waitFor();
    assert.equal(await mine.getByRole('link', { name: 'Navigate to last position' }).getAttribute('href'), 'geo:30.261200,120.165500');
    // The detail on the phone: readable without sideways scrolling.
    await mine.getByRole('link', { name: 'Curfew breach: not at home' }).click();
    await p.getByTestId('alert-detail').waitFor();
    await p.getByRole('heading', { name: 'Timeline' }).waitFor();
    assert.ok((await p.evaluate('document.documentElement.scrollWidth')) as number <= 390, 'detail: no sideways scrolling at 390 px');
    await p.locator('[data-testid="evidence-map"] .track-line').waitFor({ state: 'attached' });
    await shot(p, 'detail-phone');
    await p.goBack();
    await mine.getByRole('button', { name: 'Arrived' }).click();
    await mine.getByTestId('task-state').filter({ hasText: 'On scene' }).waitFor();
    await mine.getByRole('button', { name: 'Close' }).click();
    await mine.getByTestId('disposition-code').selectOption('violation_confirmed');
    await mine.getByTestId('disposition-note').fill('Found at the bus stop, escorted home.');
    await shot(p, 'mine');
    assert.deepEqual(await axeViolations(p), [], 'axe on the officer view');
    assert.ok((await p.evaluate('document.documentElement.scrollWidth')) as number <= 390, 'no sideways scrolling at 390 px');
    await mine.getByRole('button', { name: 'Close with disposition' }).click();
    await mine.waitFor({ state: 'detached' });
    await p.getByText('Nothing is dispatched to you now.').waitFor();

    // A new alert routed to the officer in the app: a banner whose "Open" leads to the alert with its actions.
    const next = sampleAlert({ site: 'prison-1', dev: 'tag-0103', subject: undefined, severity: 'high', title: { en: 'Strap tamper: tag-0103', 'zh-CN': '腕带被破坏：tag-0103' } });
    await raise(next);
    // (The message is written in the officer's contact language: Chinese unless one is set.)
    const toast = p.getByTestId('inbox').getByRole('alert').filter({ hasText: /Strap tamper|腕带被破坏/ });
    await toast.waitFor();
    await shot(p, 'notification-banner');
    await toast.getByRole('button', { name: 'Open' }).click();
    const opened = p.locator(`[data-testid="notify-view"] [data-alert-id="${next.id}"]`);
    await opened.getByRole('button', { name: 'Accept dispatch' }).waitFor();
    await opened.getByRole('button', { name: 'Acknowledge' }).click();
    await opened.getByText('Acknowledged').waitFor();

    const manifest = (await (await fetch(`${base}/manifest.webmanifest`)).json()) as { icons: { src: string }[]; start_url: string };
    assert.equal(manifest.start_url, '/#/mine');
    for (const icon of manifest.icons) assert.equal((await fetch(`${base}${icon.src}`)).status, 200, icon.src);
  });

  test('signing out brings back the sign-in form; nothing was blocked by the Content-Security-Policy', async () => {
    await page.getByTestId('sign-out').click();
    await page.getByRole('heading', { name: '登录' }).waitFor();
    assert.deepEqual(consoleErrors.filter((e) => /Content Security Policy|Refused/i.test(e)).map((e) => e.slice(0, 200)), []);
  });
});
