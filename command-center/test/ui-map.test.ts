import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { currentTotp } from '../src/index.js';
import { addUser } from './auth-helpers.js';
import { assertNothingBlocked, db, open, page, shot, signedInPage, skip, useViewsStack, viewsInChinese } from './ui-views-fixture.js';

// The map view in a real browser: a subject's fixes, zones and track replay; a prison's floor plan; the zone editor.
describe('command centre map view in a real browser', { skip }, () => {
  useViewsStack({ cameras: false });

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

  test('the map in Chinese', async () => {
    await viewsInChinese('map', {
      map: ['地图', '监管对象', '电子围栏'],
    });
  });

  test('nothing was blocked by the Content-Security-Policy and no request left 127.0.0.1', () => {
    assertNothingBlocked();
  });
});
