import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { fastifyHelmet } from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import type { Browser, BrowserContext } from 'playwright-core';
import { axeViolations, chromiumMissing, chromiumSkip, launchChromium } from './chromium.js';
import { build } from 'vite';
import { CSP_DIRECTIVES } from '../src/app.js';
import { issueCheckin } from '../src/checkin/requests.js';
import { uiRoutes } from '../src/routes/ui.js';
import { checkinApp, enrol, IMAGES, lazyRuntime, seedSubjects } from './checkin-helpers.js';
import { startTestDb } from './helpers.js';

const UI_DIR = fileURLToPath(new URL('../ui', import.meta.url));
const SECRET = randomBytes(32);
const FIX = { latitude: 31.2304, longitude: 121.4737, accuracy: 15 };
const SHOTS = fileURLToPath(new URL('../../test-artifacts/ui/', import.meta.url));
const missing = chromiumMissing;
const skip = chromiumSkip;

/**
 * A camera clip from the fixture photos of the rendered woman: 4.5 s looking
 * at the camera, then 4.5 s with her head turned to her left (looped by Chromium).
 */
function makeCameraClip(dir: string): string {
  const out = join(dir, 'camera.y4m');
  execFileSync(ffmpeg.path, [
    '-loglevel', 'error', '-y',
    '-loop', '1', '-t', '4.5', '-i', join(IMAGES, 'cgi-multiangle-3.jpg'),
    '-loop', '1', '-t', '4.5', '-i', join(IMAGES, 'cgi-multiangle-1.jpg'),
    '-filter_complex', '[0]crop=480:360:658:44,scale=640:480,setsar=1[a];[1]crop=320:240:851:8,scale=640:480,setsar=1[b];[a][b]concat=n=2:v=1[v]',
    '-map', '[v]', '-r', '10', '-pix_fmt', 'yuv420p', out,
  ]);
  return out;
}

describe('the check-in page in a real browser with a fake camera and location', { skip }, () => {
  let dir: string;
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let base: string;
  const consoleErrors: string[] = [];

  before(async () => {
    if (missing) throw new Error(`CI=true and ${missing}`);
    dir = mkdtempSync(join(tmpdir(), 'vigil-checkin-'));
    mkdirSync(SHOTS, { recursive: true });
    const publicDir = join(dir, 'public');
    // Only the check-in entry, so this test does not wait for (or depend on) the whole UI build.
    await build({
      configFile: false, root: UI_DIR, base: '/', logLevel: 'error',
      build: { outDir: publicDir, emptyOutDir: true, rolldownOptions: { input: { checkin: join(UI_DIR, 'checkin.html') } } },
    });
    const clip = makeCameraClip(dir);
    db = await startTestDb();
    await seedSubjects(db.pool, ['s-cgi']);
    const runtime = lazyRuntime();
    await enrol(db.pool, await runtime.load(), 's-cgi', ['cgi-multiangle-3.jpg']);
    app = await checkinApp({ pool: db.pool, tokenSecret: SECRET, loadRuntime: runtime.load });
    // The same Content-Security-Policy as the command centre: no inline script or style.
    await app.register(fastifyHelmet, { contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES }, crossOriginEmbedderPolicy: false });
    await app.register(uiRoutes, { publicDir });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip}`]);
    context = await browser.newContext({ locale: 'zh-CN', geolocation: FIX, permissions: ['geolocation', 'camera'], viewport: { width: 390, height: 800 } });
    context.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('opens in Chinese, switches to English, follows the prompt and shows the answer; the check-in row has the GPS fix', async (t) => {
    const issued = await issueCheckin(db.pool, SECRET, { subject: 's-cgi', kind: 'manual', slot: 'browser-1', nowMs: Date.now(), dueMs: 600_000, graceMs: 60_000, deviceId: 'checkin-web', challenge: 'turn_left' });
    assert.ok(issued);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const res = await page.goto(`${base}/checkin/${issued.token}`);
    assert.equal(res?.status(), 200);
    assert.match(res!.headers()['permissions-policy'] ?? '', /camera=\(self\).*geolocation=\(self\)/);
    await page.getByRole('button', { name: '开始签到' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('button', { name: 'Start check-in' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe on the first step');
    await page.screenshot({ path: join(SHOTS, 'checkin-start.png') });
    await page.getByRole('button', { name: 'Start check-in' }).click();
    await page.getByTestId('prompt').filter({ hasText: 'Look straight at the camera' }).waitFor();
    await page.getByTestId('prompt').filter({ hasText: 'turn your head to your LEFT' }).waitFor();
    await page.getByTestId('result').waitFor({ timeout: 60_000 });
    const title = await page.getByTestId('result-title').textContent();
    const text = await page.getByTestId('result-text').textContent();
    await page.screenshot({ path: join(SHOTS, 'checkin-answer.png') });
    assert.deepEqual(await axeViolations(page), [], 'axe on the answer');
    assert.ok(title === 'Checked in' || title === 'Received', `${title}: ${text}`);
    assert.doesNotMatch(text ?? '', /score|threshold/);
    const { rows } = await db.pool.query<{ result: string; lat: number; lon: number; acc_m: number; face_match_score: number; challenge_met: boolean; challenge_turn_deg: number | null; reason: string | null }>(
      `SELECT c.result, c.lat, c.lon, c.acc_m, c.face_match_score, r.challenge_met, r.challenge_turn_deg, r.reason
         FROM checkin_requests r JOIN checkins c ON c.msg_id = r.result_msg_id WHERE r.id = $1`,
      [issued.request.id],
    );
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    t.diagnostic(`result ${row.result}, face match ${row.face_match_score}, head turn ${row.challenge_turn_deg}°${row.reason ? `, ${row.reason}` : ''}`);
    assert.deepEqual([row.lat, row.lon, row.acc_m], [FIX.latitude, FIX.longitude, FIX.accuracy]);
    assert.ok(row.face_match_score >= 0.3, `face match ${row.face_match_score}`);
    // The fake camera switches from the frontal to the turned face on its own clock: with the page's timing the turn is normally caught (pass).
    assert.equal(row.result === 'pass', row.challenge_met, `result ${row.result}, turn ${row.challenge_turn_deg}°`);
    assert.deepEqual(consoleErrors, [], 'nothing blocked by the Content-Security-Policy');
    await page.close();
  });

  test('the same link again says it was used', async () => {
    const { rows } = await db.pool.query<{ id: string; expires_at: Date }>(`SELECT id, expires_at FROM checkin_requests WHERE slot = 'browser-1'`);
    const { signCheckinToken } = await import('../src/checkin/token.js');
    const page = await context.newPage();
    await page.goto(`${base}/checkin/${signCheckinToken(SECRET, rows[0]!.id, rows[0]!.expires_at.getTime())}`);
    await page.getByTestId('problem').filter({ hasText: '该签到已完成' }).waitFor({ timeout: 10_000 });
    await page.close();
  });
});
