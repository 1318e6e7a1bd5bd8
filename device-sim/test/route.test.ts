import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distance } from '@turf/distance';
import { DEMO, positionAt, seededRandom } from '../src/index.js';

const tag1 = DEMO.tags.find((t) => t.id === 'tag-0001')!;

test('a walker moves along its route at its speed', () => {
  const a = positionAt(tag1.route, 0);
  const b = positionAt(tag1.route, 10_000);
  const metres = distance([a.lon, a.lat], [b.lon, b.lat], { units: 'meters' });
  assert.ok(Math.abs(metres - tag1.route.speedMps * 10) < 1, `moved ${metres} m`);
  assert.deepEqual(a, { lat: tag1.route.waypoints[0]![1], lon: tag1.route.waypoints[0]![0] });
});

test('tag-0001 reaches the school zone within two minutes (the demo alert)', () => {
  const zone = DEMO.zones.find((z) => z.id === 'zone-school')!;
  const lats = zone.ring.map((p) => p[1]);
  const [minLat, maxLat] = [Math.min(...lats), Math.max(...lats)];
  const firstInsideS = Array.from({ length: 120 }, (_, s) => s).find((s) => {
    const p = positionAt(tag1.route, s * 1000);
    return p.lat > minLat + 0.0002 && p.lat < maxLat - 0.0002;
  });
  assert.ok(firstInsideS !== undefined && firstInsideS > 10, `first inside after ${firstInsideS} s`);
});

test('the seeded random source replays', () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
});
