import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createPool, migrate, startEmbeddedDatabase, type EmbeddedDatabase } from '@vigil/ingest';
import type pg from 'pg';
import { PRISON, prisonGateLayout, seedPrison, SimClock, GateModel, planToLonLat } from '../src/index.js';
import { renderPrisonSvg } from '../src/sites/prison-svg.js';
import { PRISON_SVG_FILE } from '../src/sites/write-prison-svg.js';
import { Passages, startTraffic } from '../src/gates/traffic.js';
import { seededRandom } from '../src/route.js';

const inside = (p: { x: number; y: number }, r: { x: number; y: number; w: number; h: number }) => p.x >= r.x && p.x <= r.x + r.w && p.y >= r.y && p.y <= r.y + r.h;

describe('the demo prison plan', () => {
  test('the committed floor plan SVG is the one drawn from the plan data (regenerate with device-sim/src/sites/write-prison-svg.ts)', () => {
    const svg = readFileSync(PRISON_SVG_FILE, 'utf8');
    assert.equal(svg, renderPrisonSvg(PRISON));
    for (const d of PRISON.doors) assert.ok(svg.includes(`<g id="${d.id}" data-kind="${d.kind}" data-area="${d.area}" data-x="${d.at.x}" data-y="${d.at.y}"`), d.id);
    for (const c of PRISON.cameras) assert.ok(svg.includes(`<g id="${c.id}" data-kind="camera" data-x="${c.at.x}" data-y="${c.at.y}"`), c.id);
    for (const b of PRISON.buildings) for (const c of b.cells) assert.ok(svg.includes(`id="${c.id}" data-kind="cell"`), c.id);
  });

  test('every door, camera and building lies within the perimeter, cells within their block, and each door belongs to one area', () => {
    const wall = { x: PRISON.perimeter[0]!.x, y: PRISON.perimeter[0]!.y, w: PRISON.perimeter[2]!.x - PRISON.perimeter[0]!.x, h: PRISON.perimeter[2]!.y - PRISON.perimeter[0]!.y };
    for (const p of [...PRISON.doors.map((d) => d.at), ...PRISON.cameras.map((c) => c.at)]) assert.ok(inside(p, wall), JSON.stringify(p));
    for (const b of PRISON.buildings) {
      assert.ok(inside(b.rect, wall) && inside({ x: b.rect.x + b.rect.w, y: b.rect.y + b.rect.h }, wall), b.id);
      for (const c of b.cells) assert.ok(inside(c.rect, b.rect) && inside({ x: c.rect.x + c.rect.w, y: c.rect.y + c.rect.h }, b.rect), c.id);
    }
    assert.equal(PRISON.buildings.flatMap((b) => b.cells).length, 32);
    const layout = prisonGateLayout();
    assert.deepEqual(layout.areas.flatMap((a) => a.doors.map((d) => d.id)).sort(), PRISON.doors.map((d) => d.id).sort());
    const ids = [PRISON.siteId, ...PRISON.areas.map((a) => a.id), ...PRISON.doors.map((d) => d.id), ...PRISON.cameras.map((c) => c.id)];
    assert.equal(new Set(ids).size, ids.length, 'site, area, door and camera ids are distinct');
    const [lon, lat] = planToLonLat(PRISON, { x: 100, y: 0 });
    assert.equal(lat, PRISON.origin.lat);
    assert.ok(Math.abs((lon - PRISON.origin.lon) * 111_320 * Math.cos((lat * Math.PI) / 180) - 100) < 0.05, '100 m east');
  });

  test('scripted people are deterministic from the seed: the same seed gives the same card reads, another seed others', () => {
    const run = (seed: number) => {
      const clock = new SimClock(Date.parse('2026-03-01T08:00:00Z'));
      const model = new GateModel(prisonGateLayout(), clock);
      const reads: string[] = [];
      model.onChange((c) => {
        if (c.kind !== 'door') return;
        const last = model.door(c.id).lastCard;
        if (last && reads.at(-1) !== `${c.id}:${last.seq}:${last.card}:${last.direction}:${last.reason}:${last.time}`)
          reads.push(`${c.id}:${last.seq}:${last.card}:${last.direction}:${last.reason}:${last.time}`);
      });
      startTraffic(model, clock, new Passages(model, clock), { rng: seededRandom(seed), meanGapMs: 60_000 });
      clock.advance(3_600_000);
      return { reads, forced: model.doorIds().filter((d) => model.door(d).forced) };
    };
    const a = run(7);
    assert.ok(a.reads.length > 500, `an hour of 13 people: ${a.reads.length} reads`);
    assert.deepEqual(run(7).reads, a.reads);
    assert.notDeepEqual(run(8).reads, a.reads);
    assert.deepEqual(a.forced, [], 'nobody forces a door in normal traffic');
    assert.ok(a.reads.every((r) => !r.includes(':anti_passback:')), 'scripted people alternate in and out');
  });
});

describe('seedPrison on the embedded database', () => {
  let db: EmbeddedDatabase;
  let pool: pg.Pool;
  before(async () => {
    db = await startEmbeddedDatabase({ port: 0 });
    pool = createPool(db.url);
    await migrate(pool);
    await pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('moj', NULL, 1, 'Ministry', '司法部'), ('zj', 'moj', 2, 'Zhejiang', '浙江')`);
  });
  after(async () => {
    await pool?.end();
    await db?.close();
  });

  test('puts the site, its perimeter zone and every door (gate) and camera in the registry, and can run again', async () => {
    const registered: string[] = [];
    const register = async (p: pg.Pool, d: { id: string; siteId: string; kind: 'gate' | 'camera'; secret: string; gatewayId?: string | null }) => {
      assert.ok(d.secret.length >= 16);
      registered.push(`${d.kind}:${d.id}:${String(d.gatewayId)}`);
      await p.query(`INSERT INTO devices (id, site_id, kind, secret_hash) VALUES ($1, $2, $3, 'x') ON CONFLICT (id) DO NOTHING`, [d.id, d.siteId, d.kind]);
    };
    await seedPrison(pool, register);
    await seedPrison(pool, register, { gatewayId: 'pn-edge' });
    const devices = await pool.query<{ kind: string; n: string }>(`SELECT kind, count(*) AS n FROM devices WHERE site_id = 'prison-north' GROUP BY kind ORDER BY kind`);
    assert.deepEqual(devices.rows.map((r) => [r.kind, Number(r.n)]), [['camera', PRISON.cameras.length], ['gate', PRISON.doors.length]]);
    const site = await pool.query(`SELECT kind, name_zh FROM sites WHERE id = 'prison-north'`);
    assert.deepEqual(site.rows[0], { kind: 'prison', name_zh: '北郊示范监狱' });
    const zone = await pool.query<{ kind: string; geometry: { type: string; coordinates: number[][][] } }>(`SELECT kind, geometry FROM zones WHERE id = 'prison-north-perimeter'`);
    assert.equal(zone.rows[0]!.kind, 'inclusion');
    assert.deepEqual(zone.rows[0]!.geometry.coordinates[0]![0], planToLonLat(PRISON, PRISON.perimeter[0]!));
    assert.equal(registered.length, 2 * (PRISON.doors.length + PRISON.cameras.length));
    assert.ok(registered.includes('gate:pn-a-main:null') && registered.includes('gate:pn-a-main:pn-edge'), 'the gateway is handed on');
  });
});
