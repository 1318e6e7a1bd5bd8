import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessage } from '@vigil/schemas';
import { exclusionZoneRule, placeFix, type ExclusionZoneConfig, type ExclusionZoneState } from '../src/index.js';
import { OTHER_SITE, SCHOOL } from './fixtures/zones.js';

const T0 = 1_764_000_000_000;
const CENTRE = { lat: 31.189, lon: 121.437 };
const FAR = { lat: 31.2, lon: 121.45 };
const NEAR_EDGE = { lat: 31.189, lon: 121.43595 }; // ~5 m outside the west edge

const fix = (seq: number, p: { lat: number; lon: number }, acc_m = 5, dev = 'tag-7') =>
  newMessage('tag.fix', dev, seq, { lat: p.lat, lon: p.lon, acc_m }, T0 + seq * 10_000);

/** Run a sequence of fixes and return the alert keys raised at each step. */
function run(fixes: ReturnType<typeof fix>[], config: Partial<ExclusionZoneConfig> = {}) {
  const cfg: ExclusionZoneConfig = { zones: [SCHOOL, OTHER_SITE], minFixesInside: 1, evidenceFixes: 10, ...config };
  let state: ExclusionZoneState = {};
  return fixes.map((f) => {
    const r = exclusionZoneRule(state, f, 'cc-xuhui', cfg, 0);
    state = r.state;
    return r.alerts;
  });
}

test('placement takes the accuracy circle into account', () => {
  assert.equal(placeFix(SCHOOL, CENTRE.lat, CENTRE.lon, 5), 'inside');
  assert.equal(placeFix(SCHOOL, FAR.lat, FAR.lon, 5), 'outside');
  assert.equal(placeFix(SCHOOL, NEAR_EDGE.lat, NEAR_EDGE.lon, 20), 'uncertain');
  assert.equal(placeFix(SCHOOL, NEAR_EDGE.lat, NEAR_EDGE.lon, 1), 'outside');
  assert.equal(placeFix(SCHOOL, CENTRE.lat, CENTRE.lon, 500), 'uncertain');
});

const table: Array<{ name: string; seq: Array<[{ lat: number; lon: number }, number?]>; min?: number; expect: number[] }> = [
  { name: 'never inside: no alert', seq: [[FAR], [FAR], [NEAR_EDGE, 1]], expect: [0, 0, 0] },
  { name: 'walks in: one alert on the first fix inside', seq: [[FAR], [CENTRE], [CENTRE], [CENTRE]], expect: [0, 1, 0, 0] },
  { name: 'leaves and comes back: alerts again', seq: [[CENTRE], [FAR], [CENTRE]], expect: [1, 0, 1] },
  { name: 'a fix whose circle overlaps the boundary is not a breach', seq: [[NEAR_EDGE, 30], [CENTRE, 400]], expect: [0, 0] },
  { name: 'needs N consecutive fixes inside', seq: [[CENTRE], [CENTRE], [FAR], [CENTRE], [CENTRE], [CENTRE]], min: 3, expect: [0, 0, 0, 0, 0, 1] },
  { name: 'uncertain fixes neither count nor re-arm', seq: [[CENTRE], [CENTRE, 400], [CENTRE]], min: 2, expect: [0, 0, 1] },
];

for (const row of table) {
  test(`exclusion zone: ${row.name}`, () => {
    const fixes = row.seq.map(([p, acc], i) => fix(i + 1, p, acc ?? 5));
    const raised = run(fixes, row.min ? { minFixesInside: row.min } : {});
    assert.deepEqual(raised.map((a) => a.length), row.expect);
  });
}

test('the alert carries the fixes that prove it, its zone, the site and event time', () => {
  const fixes = [fix(1, FAR), fix(2, CENTRE), fix(3, CENTRE)];
  const alerts = run(fixes, { minFixesInside: 2 }).flat();
  assert.equal(alerts.length, 1);
  const a = alerts[0]!;
  assert.equal(a.key, 'zone.exclusion:tag-7:zone-school');
  assert.equal(a.site, 'cc-xuhui');
  assert.equal(a.ts, fixes[2]!.ts);
  assert.deepEqual(a.evidence.fixes?.map((f) => f.msg_id), [fixes[1]!.id, fixes[2]!.id]);
  assert.equal(a.evidence.zone_id, 'zone-school');
  assert.match(a.title['zh-CN'], /禁止区域/);
});

test('the rule is pure: same input, same output; state is not mutated', () => {
  const state: ExclusionZoneState = Object.freeze({});
  const cfg: ExclusionZoneConfig = { zones: [SCHOOL], minFixesInside: 1, evidenceFixes: 10 };
  const f = fix(1, CENTRE);
  const a = exclusionZoneRule(state, f, 'cc-xuhui', cfg, 1);
  const b = exclusionZoneRule(state, f, 'cc-xuhui', cfg, 999);
  assert.deepEqual(a, b);
  assert.deepEqual(state, {});
});

test('tags are tracked separately', () => {
  const raised = run([fix(1, CENTRE, 5, 'tag-a'), fix(2, CENTRE, 5, 'tag-b'), fix(3, CENTRE, 5, 'tag-a')]);
  assert.deepEqual(raised.map((a) => a.map((x) => x.dev)), [['tag-a'], ['tag-b'], []]);
});
