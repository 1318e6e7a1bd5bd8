import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { insertAlert, sampleAlert } from './helpers.js';
import { addUser } from './auth-helpers.js';
import { assertNothingBlocked, db, open, page, shot, signedInPage, signedOut, skip, useViewsStack, viewsInChinese } from './ui-views-fixture.js';

// The extra views in a real browser: device health, dashboards, subjects and check-in review, the camera wall, the audit trail
// (the map view: ui-map.test.ts). The audit test finds the check-in review the subjects test made.
describe('command centre extra views in a real browser', { skip }, () => {
  useViewsStack({ cameras: true });

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
    await viewsInChinese('devices', {
      devices: ['设备健康', '离线', '队列积压', '边缘代理'],
      dashboards: ['统计看板', '每小时告警数（按类型）', '告警质量（ISA-18.2）', '进入禁区', '电量低'],
      subjects: ['监管对象', '待审核签到', '案卷编号'],
      cameras: ['视频墙', '实时'],
    });
  });

  test('nothing was blocked by the Content-Security-Policy and no request left 127.0.0.1', () => {
    assertNothingBlocked();
  });
});
