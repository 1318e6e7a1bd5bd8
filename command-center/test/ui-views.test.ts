import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Pool } from 'pg';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { registerDevice } from '@vigil/broker';
import { startCameras, type CameraSim } from '@vigil/device-sim';
import { newId } from '@vigil/schemas';
import { currentTotp, startCommandCenter, type CommandCenter } from '../src/index.js';
import { readNotifyConfig } from '../src/notifications/index.js';
import { insertAlert, sampleAlert, startTestBroker, startTestDb, testLogger } from './helpers.js';
import { addUser, seedBasicTree, TEST_PASSWORD, type TestUser } from './auth-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));
const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../test-artifacts/ui/', import.meta.url));
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// ARCHITECTURE.md "Running it": find the program or skip with the reason; under CI=true a missing one fails.
const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (install the chromium package)`;
const skip = missing !== undefined && process.env.CI !== 'true' ? missing : false;

/** Serious or critical axe-core violations inside the extra view shown (axe injected from node_modules). */
async function axeViolations(page: Page): Promise<string[]> {
  // evaluate() runs outside the page's Content-Security-Policy, so no inline <script> is needed.
  await page.evaluate(`${AXE_SOURCE};0`);
  const found = (await page.evaluate(
    `axe.run(document.querySelector('[data-testid^="view-"]'), { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`,
  )) as { id: string; impact: string; help: string; nodes: string[] }[];
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.join(', ')})`);
}

/** True if the built UI is missing or older than a source file of it. */
function staleBuild(): boolean {
  const built = `${PUBLIC_DIR}/index.html`;
  if (!existsSync(built)) return true;
  const at = statSync(built).mtimeMs;
  const src = fileURLToPath(new URL('../ui/', import.meta.url));
  return readdirSync(src, { recursive: true, encoding: 'utf8' }).some((f) => statSync(`${src}${f}`).mtimeMs > at);
}

/** Where the office-b subject lives in the seed (a township in Hangzhou). */
const HOME = { lat: 30.2741, lon: 120.1551 };

describe('command centre extra views in a real browser', { skip }, () => {
  let db: { pool: Pool; close(): Promise<void> };
  let broker: { url: string; close(): Promise<void> };
  let center: CommandCenter;
  let cams: CameraSim;
  let browser: Browser;
  let base: string;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  /** Users whose session the test ended on purpose: their 401s are expected. */
  const signedOut = new Set<string>();

  async function signedInPage(user: TestUser, totp?: string): Promise<{ context: BrowserContext; page: Page }> {
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

  const open = async (page: Page, id: string): Promise<void> => {
    await page.goto(`${base}/#/${id}`);
    await page.getByTestId(`view-${id}`).waitFor();
  };
  /** Save the screenshot, after checking the view with axe-core: no serious or critical violation. */
  const shot = async (page: Page, id: string): Promise<void> => {
    await page.evaluate(`document.fonts.ready`);
    await page.screenshot({ path: `${SHOTS}${id}.png`, fullPage: true });
    assert.deepEqual(await axeViolations(page), [], `axe on ${id}`);
  };

  let operator: TestUser;
  let page: Page;

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
    await seed(db.pool);
    // A simulated RTSP camera behind cam-01, relayed by the command centre as MPEG-1 for JSMpeg.
    cams = await startCameras({ cameras: [{ id: 'cam-01', scene: 'person' }], port: 0, width: 320, height: 240, fps: 5, logger: testLogger });
    await db.pool.query(`UPDATE devices SET stream_url = $1 WHERE id = 'cam-01'`, [cams.url('cam-01')]);
    operator = await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    ({ page } = await signedInPage(operator));
  });

  after(async () => {
    await browser?.close();
    await center?.close();
    await cams?.close();
    await broker?.close();
    await db?.close();
  });

  test('device health: the offline device is marked offline, and the filter keeps only offline ones', async () => {
    await open(page, 'devices');
    const offline = page.locator('[data-testid="devices-table"] tr[data-device-id="gate-07"]');
    await offline.filter({ hasText: 'Offline' }).waitFor();
    assert.match((await offline.getAttribute('class')) ?? '', /offline/);
    await page.locator('tr[data-device-id="tag-0001"]').filter({ hasText: 'Online' }).waitFor();
    await page.locator('tr[data-device-id="agent-01"] [data-testid="device-queue"]').filter({ hasText: '42' }).waitFor();
    await page.getByLabel('Offline only').check();
    await page.locator('tr[data-device-id="tag-0001"]').waitFor({ state: 'detached' });
    const left = await page.locator('[data-testid="devices-table"] tbody tr[data-device-id]').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-device-id')} ${r.className}`));
    assert.deepEqual(left.map((r) => r.split(' ')[0]).sort(), ['gate-07', 'pn-a-main']);
    assert.ok(left.every((r) => / offline/.test(r)), left.join());
    await page.getByLabel('Offline only').uncheck();
    await page.getByRole('button', { name: 'Sort by Device' }).click();
    const ids = await page.locator('[data-testid="devices-table"] tbody tr[data-device-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device-id')));
    assert.deepEqual(ids, [...ids].sort());
    await shot(page, 'devices');
  });

  test('map: the subject\'s last fix and zone on the offline base, its track with a time slider', async () => {
    await open(page, 'map');
    await page.getByTestId('map-site').selectOption('office-b');
    const subject = page.locator('[data-testid="map-subject"][data-subject-id="s-1"]');
    await subject.filter({ hasText: '5 fixes in 24 h' }).waitFor();
    assert.equal(await subject.getAttribute('data-fix-count'), '5');
    await page.locator('[data-testid="map-canvas"] path.subject-s-1').waitFor();
    await page.locator('[data-testid="map-canvas"] path.zone-exclusion').waitFor();
    await page.locator('[data-testid="map-zone"][data-zone-id="z-school"]').filter({ hasText: 'School' }).waitFor();
    await page.locator('[data-testid="map-base"][data-base="outlines"]').waitFor();

    await page.getByRole('button', { name: 'Subject One' }).click();
    await page.getByTestId('track-at').filter({ hasText: 'Fix 5 of 5' }).waitFor();
    await page.locator('[data-testid="map-canvas"] path.track-line').waitFor({ state: 'attached' });
    await page.getByLabel('Time along the track').focus();
    await page.keyboard.press('Home');
    await page.getByTestId('track-at').filter({ hasText: 'Fix 1 of 5' }).waitFor();
    await page.keyboard.press('ArrowRight');
    await page.getByTestId('track-at').filter({ hasText: 'Fix 2 of 5' }).waitFor();
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.getByTestId('track-at').filter({ hasText: 'Fix 5 of 5' }).waitFor();
    await page.getByRole('button', { name: 'Replay' }).waitFor(); // stopped at the end
    await page.getByLabel('Time along the track').focus();
    await page.keyboard.press('ArrowLeft');
    await page.getByTestId('track-at').filter({ hasText: 'Fix 4 of 5' }).waitFor();
    await shot(page, 'map');
  });

  test('map: a prison is drawn on its floor plan with its devices marked online or offline', async () => {
    await page.getByTestId('map-site').selectOption('prison-north');
    await page.locator('[data-testid="map-base"][data-base="plan"]').waitFor();
    await page.locator('[data-testid="map-canvas"] .leaflet-vigilBase-pane svg.vigil-plan [id="pn-a-main"][data-online="false"]').waitFor({ state: 'attached' }); // under the live layers
    await page.locator('[data-testid="map-canvas"] svg.vigil-plan [id="pn-cam-a"][data-online="true"]').waitFor({ state: 'attached' });
    await page.getByTestId('map-devices').filter({ hasText: '1 of 2 devices online' }).waitFor();
    await shot(page, 'map-floorplan');
  });

  test('map: an administrator draws a new zone corner by corner and saves it', async () => {
    const admin = await addUser(db.pool, { id: 'adm-1', role: 'administrator', orgUnit: 'moj' });
    const { context, page: p } = await signedInPage(admin, await currentTotp(admin.totpSecret!));
    try {
      await open(p, 'map');
      await p.getByTestId('map-site').selectOption('office-b');
      await p.locator('[data-testid="map-subject"][data-subject-id="s-1"][data-fix-count="5"]').waitFor();
      await p.getByRole('button', { name: 'Draw new zone' }).click();
      const box = (await p.getByTestId('map-canvas').boundingBox())!;
      for (const [dx, dy] of [[0.3, 0.3], [0.6, 0.3], [0.6, 0.6], [0.3, 0.6]] as const) await p.mouse.click(box.x + box.width * dx, box.y + box.height * dy);
      await p.getByTestId('zone-drawing').filter({ hasText: '(4 so far)' }).waitFor();
      await p.getByRole('button', { name: 'Undo corner' }).click();
      await p.getByTestId('zone-drawing').filter({ hasText: '(3 so far)' }).waitFor();
      await p.getByLabel('Zone id').fill('z-park');
      await p.getByLabel('Name (English)').fill('Park');
      await p.getByLabel('Name (Chinese)').fill('公园');
      await p.getByLabel('Kind').selectOption('exclusion');
      await p.getByTestId('zone-save').click();
      await p.locator('[data-testid="map-zone"][data-zone-id="z-park"]').filter({ hasText: 'Park' }).waitFor();
      const { rows } = await db.pool.query<{ geometry: { type: string; coordinates: number[][][] } }>(`SELECT geometry FROM zones WHERE id = 'z-park'`);
      assert.equal(rows[0]?.geometry.type, 'Polygon');
      assert.equal(rows[0]?.geometry.coordinates[0]?.length, 4, 'three corners and the closing one');
      await shot(p, 'map-zone-edit');

      // Redraw the School's outline: two corners by mouse, one from the keyboard at the map's centre.
      await p.getByLabel('Zone to redraw').selectOption('z-school');
      await p.getByRole('button', { name: 'Redraw outline' }).click();
      await p.mouse.click(box.x + box.width * 0.2, box.y + box.height * 0.2);
      await p.mouse.click(box.x + box.width * 0.8, box.y + box.height * 0.2);
      await p.getByRole('button', { name: 'Add corner at map centre' }).click();
      await p.getByTestId('zone-drawing').filter({ hasText: '(3 so far)' }).waitFor();
      await p.getByTestId('zone-save').click();
      await p.getByText('Zone saved.').or(p.locator('.zone-tools [role="alert"]')).waitFor();
      assert.equal(await p.locator('.zone-tools [role="alert"]').count(), 0, await p.locator('.zone-tools').innerText());
      const { rows: school } = await db.pool.query<{ name_en: string; geometry: { coordinates: number[][][] } }>(`SELECT name_en, geometry FROM zones WHERE id = 'z-school'`);
      assert.equal(school[0]?.name_en, 'School');
      assert.equal(school[0]?.geometry.coordinates[0]?.length, 4, 'the new outline replaced the old one');
    } finally {
      await context.close();
    }
  });

  test('dashboards: a bar per hour for the seeded alerts, by type; response times and alarm quality per site', async () => {
    await open(page, 'dashboards');
    const chart = page.getByTestId('chart-alerts-by-type');
    await chart.locator('rect[data-key="zone.exclusion"]').nth(2).waitFor();
    const totals = await chart.locator('g.bar').evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-total'))));
    assert.equal(totals.length, 24, 'one bar per hour');
    assert.equal(totals.reduce((a, b) => a + b, 0), 5, 'every seeded alert counted once');
    assert.equal(await chart.locator('rect[data-key="zone.exclusion"]').count(), 3);
    assert.equal(await chart.locator('rect[data-key="gate.forced"]').count(), 1);
    await chart.locator('figcaption').getByText('Battery low', { exact: true }).waitFor();
    // The three exclusion alerts were acknowledged 45 s after they were raised.
    await page.locator('[data-testid="response-times"] tr[data-site="office-b"]').filter({ hasText: '45 s' }).waitFor();
    await page.locator('[data-testid="alarm-quality"] tr[data-site="office-b"]').waitFor();
    await page.getByTestId('chart-uptime').locator('g.bar[data-label="prison-north"] rect[data-key="offline"]').waitFor({ state: 'attached' });
    await shot(page, 'dashboards');
  });

  test('subjects: the profile shows the officer, zones and check-ins; an uncertain check-in is approved from the queue', async () => {
    await open(page, 'subjects');
    await page.locator('[data-testid="subjects-table"] tr[data-subject-id="s-2"]').waitFor();
    const queued = page.locator('[data-testid="review-queue"] tr[data-checkin-id]');
    await queued.filter({ hasText: 'Subject One' }).waitFor();
    assert.equal(await queued.count(), 1);
    await page.getByRole('button', { name: 'Open the profile of Subject One' }).click();
    const profile = page.getByTestId('subject-profile');
    await profile.getByTestId('subject-officer').filter({ hasText: 'off-1' }).waitFor();
    await profile.getByTestId('subject-zones').filter({ hasText: 'School' }).waitFor();
    await profile.locator('[data-testid="subject-checkins"] tr[data-review="pending"]').waitFor();
    assert.equal(await profile.locator('[data-testid="subject-checkins"] tbody tr').count(), 2);
    await shot(page, 'subjects');

    await page.getByLabel('Note (optional): Subject One').fill('face matches the file photo');
    await page.locator('[data-testid="review-queue"]').getByRole('button', { name: 'Approve' }).click();
    await queued.first().waitFor({ state: 'detached' });
    await profile.locator('[data-testid="subject-checkins"] tr[data-review="approved"]').filter({ hasText: 'Approved (op-1)' }).waitFor();
    const { rows } = await db.pool.query<{ review_state: string; reviewed_by: string }>(`SELECT review_state, reviewed_by FROM checkins WHERE result = 'review'`);
    assert.deepEqual(rows, [{ review_state: 'approved', reviewed_by: 'op-1' }]);
  });

  test('camera wall: the camera\'s live stream plays through JSMpeg, and stops on request', async () => {
    const fall = sampleAlert({ rule: 'vision.person_down', severity: 'critical', site: 'prison-a', dev: 'cam-01', raised_ts: Date.now() - 120_000, last_ts: Date.now() - 120_000 });
    delete fall.subject;
    await insertAlert(db.pool, fall);
    await open(page, 'cameras');
    const tile = page.locator('[data-testid="camera-tile"][data-camera-id="cam-01"]');
    await tile.locator('canvas[aria-label="Live video of camera cam-01"]').waitFor();
    await page.locator('[data-testid="camera-tile"][data-camera-id="cam-01"][data-state="live"]').waitFor({ timeout: 60_000 });
    // At least three frames decoded (a CSS selector: the page's CSP refuses the eval behind waitForFunction).
    await page.locator('[data-camera-id="cam-01"]:not([data-frames="0"]):not([data-frames="1"]):not([data-frames="2"])').waitFor({ timeout: 30_000 });
    // The camera's latest detection over its video, linked to the alert.
    const badge = tile.getByTestId('camera-detection');
    await badge.filter({ hasText: 'Person down' }).waitFor();
    assert.equal(await badge.getAttribute('href'), `#/alerts/${fall.id}`);
    await shot(page, 'cameras');
    await tile.getByRole('button', { name: 'Stop: cam-01' }).click();
    await page.locator('[data-testid="camera-tile"][data-camera-id="cam-01"][data-state="stopped"]').waitFor();
    await tile.getByRole('button', { name: 'Play: cam-01' }).waitFor();
  });

  test('audit: an auditor filters the trail by user and action prefix, verifies the hash chain and gets the export link', async () => {
    const auditor = await addUser(db.pool, { id: 'aud-1', role: 'auditor', orgUnit: 'moj' });
    const { context, page: p } = await signedInPage(auditor);
    try {
      await open(p, 'audit');
      await p.locator('[data-testid="audit-table"] tr[data-seq]').first().waitFor();
      await p.getByLabel('User').fill('op-1');
      await p.getByLabel('Action').fill('checkins.');
      await p.getByRole('button', { name: 'Search' }).click();
      await p.locator('[data-testid="audit-table"] tr[data-seq]:not([data-action^="checkins."])').first().waitFor({ state: 'detached' });
      const review = p.locator('[data-testid="audit-table"] tr[data-action="checkins.review"]');
      await review.filter({ hasText: 'op-1' }).waitFor();
      const actions = await p.locator('[data-testid="audit-table"] tr[data-seq]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action') ?? ''));
      assert.ok(actions.length > 0 && actions.every((a) => a.startsWith('checkins.')), actions.join());
      await review.getByText('Show').click();
      await review.getByText('face matches the file photo').waitFor();
      assert.match((await p.getByRole('link', { name: 'Export CSV' }).getAttribute('href')) ?? '', /^\/api\/audit\/export\.csv\?actor=op-1&action=checkins\./);
      await p.getByTestId('audit-verify').click();
      await p.getByTestId('audit-chain').filter({ hasText: /Chain intact: \d+ entries checked/ }).waitFor();
      await shot(p, 'audit');

      // The session ends under the view: its next request is refused (401) and the shell shows the sign-in form.
      signedOut.add(auditor.username);
      assert.equal(await p.evaluate(`fetch('/api/auth/logout', { method: 'POST' }).then((r) => r.status)`), 204);
      await p.getByRole('button', { name: 'Search' }).click();
      await p.getByTestId('login').waitFor();
    } finally {
      await context.close();
    }
  });

  test('every view in Chinese', async () => {
    await open(page, 'devices');
    await page.getByRole('button', { name: '中文' }).click();
    const expect: Record<string, string[]> = {
      devices: ['设备健康', '离线', '队列积压', '边缘代理'],
      map: ['地图', '监管对象', '电子围栏'],
      dashboards: ['统计看板', '每小时告警数（按类型）', '告警质量（ISA-18.2）', '进入禁区', '电量低'],
      subjects: ['监管对象', '待审核签到', '案卷编号'],
      cameras: ['视频墙', '实时'],
    };
    for (const [id, texts] of Object.entries(expect)) {
      await open(page, id);
      for (const text of texts) await page.getByTestId(`view-${id}`).getByText(text, { exact: false }).filter({ visible: true }).first().waitFor();
      await shot(page, `${id}-zh`);
    }
  });

  test('nothing was blocked by the Content-Security-Policy and no request left 127.0.0.1', () => {
    assert.deepEqual(consoleErrors.map((e) => e.slice(0, 300)), []);
    assert.deepEqual(foreignRequests, []);
  });
});

/** The registry, people, fixes, zones, alerts and check-ins the views show. */
async function seed(pool: Pool): Promise<void> {
  await seedBasicTree(pool);
  await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prison-north', 'moj', 'prison', 'North Demo Prison', '北郊示范监狱')`);
  await addUser(pool, { id: 'off-1', role: 'officer', orgUnit: 'moj' });
  await pool.query(`INSERT INTO subjects (id, site_id, ref, display_name, officer_id) VALUES ('s-1', 'office-b', 'CASE-001', 'Subject One', 'off-1'), ('s-2', 'office-b', 'CASE-002', 'Subject Two', NULL)`);
  const secret = 'a-test-secret-of-sixteen-chars';
  for (const [id, siteId, kind, subjectId] of [
    ['tag-0001', 'office-b', 'tag', 's-1'],
    ['gate-07', 'prison-a', 'gate', null],
    ['cam-01', 'prison-a', 'camera', null],
    ['pn-cam-a', 'prison-north', 'camera', null],
    ['pn-a-main', 'prison-north', 'gate', null],
    ['agent-01', 'prison-a', 'agent', null],
  ] as const) {
    await registerDevice(pool, { id, siteId, kind, subjectId, secret });
  }
  const since = new Date(Date.now() - 600_000);
  await pool.query(
    `INSERT INTO device_presence (device_id, site_id, online, since, last_msg_id) VALUES
       ('tag-0001', 'office-b', true, $1, gen_random_uuid()), ('gate-07', 'prison-a', false, $1, gen_random_uuid()),
       ('pn-cam-a', 'prison-north', true, $1, gen_random_uuid()), ('pn-a-main', 'prison-north', false, $1, gen_random_uuid()),
       ('agent-01', 'prison-a', true, $1, gen_random_uuid())`,
    [since],
  );
  // The edge agent's own status report, with its store-and-forward queue.
  await pool.query(
    `INSERT INTO device_events (time, msg_id, device_id, site_id, seq, type, body) VALUES (now() - interval '30 seconds', gen_random_uuid(), 'agent-01', 'prison-a', 7, 'agent.status', $1)`,
    [JSON.stringify({ online: true, queue_depth: 42, dropped: 0, version: '0.1.0' })],
  );
  // Five fixes over the last hour, walking north-east from home.
  for (let i = 0; i < 5; i++) {
    await pool.query(`INSERT INTO tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m) VALUES ($1, $2, 'tag-0001', 'office-b', $3, $4, $5, 8)`, [
      new Date(Date.now() - (50 - i * 10) * 60_000),
      newId(),
      i + 1,
      HOME.lat + i * 0.0004,
      HOME.lon + i * 0.001,
    ]);
  }
  const ring = [
    [HOME.lon + 0.004, HOME.lat - 0.001],
    [HOME.lon + 0.006, HOME.lat - 0.001],
    [HOME.lon + 0.006, HOME.lat + 0.001],
    [HOME.lon + 0.004, HOME.lat + 0.001],
    [HOME.lon + 0.004, HOME.lat - 0.001],
  ];
  await pool.query(`INSERT INTO zones (id, site_id, kind, name_en, name_zh, geometry) VALUES ('z-school', 'office-b', 'exclusion', 'School', '学校', $1)`, [
    JSON.stringify({ type: 'Polygon', coordinates: [ring] }),
  ]);
  const hour = 3_600_000;
  const now = Date.now();
  const alerts = [
    sampleAlert({ rule: 'zone.exclusion', site: 'office-b', dev: 'tag-0001', subject: 's-1', raised_ts: now - 2 * hour, last_ts: now - 2 * hour }),
    sampleAlert({ rule: 'zone.exclusion', site: 'office-b', dev: 'tag-0001', subject: 's-1', raised_ts: now - hour, last_ts: now - hour }),
    sampleAlert({ rule: 'zone.exclusion', site: 'office-b', dev: 'tag-0001', subject: 's-1', raised_ts: now - 600_000, last_ts: now - 600_000 }),
    sampleAlert({ rule: 'battery.low', severity: 'low', site: 'office-b', dev: 'tag-0001', subject: 's-1', raised_ts: now - hour, last_ts: now - hour }),
    sampleAlert({ rule: 'gate.forced', severity: 'critical', site: 'prison-a', dev: 'gate-07', raised_ts: now - 3 * hour, last_ts: now - 3 * hour }),
  ];
  for (const a of alerts) {
    delete a.subject;
    await insertAlert(pool, a);
  }
  await pool.query(`UPDATE alerts SET subject_id = 's-1' WHERE device_id = 'tag-0001'`);
  await pool.query(`UPDATE alerts SET acked_at = raised_at + interval '45 seconds', state = 'acknowledged' WHERE rule = 'zone.exclusion'`);
  await pool.query(
    `INSERT INTO checkins (time, msg_id, subject_id, device_id, site_id, result, liveness_score, face_match_score, lat, lon, acc_m, review_state) VALUES
       (now() - interval '2 hours', gen_random_uuid(), 's-1', 'tag-0001', 'office-b', 'pass', 0.97, 0.93, $1, $2, 6, 'none'),
       (now() - interval '20 minutes', gen_random_uuid(), 's-1', 'tag-0001', 'office-b', 'review', 0.55, 0.61, $1, $2, 12, 'pending')`,
    [HOME.lat, HOME.lon],
  );
}
