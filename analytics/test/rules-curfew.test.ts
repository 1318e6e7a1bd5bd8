import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RuleSetInput } from '../src/index.js';
import { drafts, engineFor, fix, run, sh, SITE, tick, type Step } from './fixtures/rules.js';

// Home: a 100 m circle; curfew 21:00-06:00 every day (Asia/Shanghai), 2 fixes outside to count as leaving.
const HOME = { lat: 31.189, lon: 121.437 };
const AWAY = { lat: 31.2, lon: 121.45 };
const home = {
  id: 'home-1',
  site: SITE,
  kind: 'inclusion' as const,
  name: { en: 'Home', 'zh-CN': '住所' },
  geometry: { type: 'Point' as const, coordinates: [HOME.lon, HOME.lat] },
  radius_m: 100,
  curfew: true,
  devices: ['t1'],
  min_fixes: 2,
  schedule: { weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '21:00', end: '06:00' }] },
};
const rules = (extra: Record<string, unknown> = {}): RuleSetInput => ({ zones: [{ ...home, ...extra }] as RuleSetInput['zones'], defaults: { comm_loss_s: 604_800, location_loss_s: 604_800 } });

const W = sh(2025, 11, 24, 21); // window start (Monday 21:00)
const END = sh(2025, 11, 25, 6); // window end (Tuesday 06:00)
const K = (kind: string) => `curfew.${kind}:t1:home-1:${W}`;
const M = 60_000;

const table: Array<{ name: string; steps: Step[]; expect: string[][]; extra?: Record<string, unknown> }> = [
  {
    name: 'home before 21:00 and all night: nothing',
    steps: [fix('t1', W - 30 * M, HOME), tick(W + M), fix('t1', W + 60 * M, HOME), fix('t1', END - M, HOME), tick(END + M)],
    expect: [[], [], [], [], []],
  },
  {
    name: 'late arrival: away at 21:00 is an alert at 21:00 (the timer, no message needed); arriving clears it',
    steps: [fix('t1', W - 30 * M, AWAY), tick(W + 5_000), fix('t1', W + 40 * M, HOME), tick(END + M)],
    expect: [[], [`+${K('late')}`], [`-${K('late')}`], []],
  },
  {
    name: 'late arrival with 15 minutes\' grace: arriving at 21:10 is not late',
    extra: { grace_s: 900 },
    steps: [fix('t1', W - 30 * M, AWAY), tick(W + 5_000), fix('t1', W + 10 * M, HOME), tick(W + 20 * M)],
    expect: [[], [], [], []],
  },
  {
    name: 'leaving during the window: two certain fixes outside after being home',
    steps: [fix('t1', W - 10 * M, HOME), fix('t1', W + 60 * M, HOME), fix('t1', W + 120 * M, AWAY), fix('t1', W + 125 * M, AWAY), fix('t1', W + 130 * M, AWAY), fix('t1', W + 180 * M, HOME)],
    expect: [[], [], [], [`+${K('left')}`], [], [`-${K('left')}`]],
  },
  {
    name: 'no fix at all during the window: an alert at its end (home before it, so not late)',
    steps: [fix('t1', W - 10 * M, HOME), tick(W + M), tick(END - M), tick(END + 1000), fix('t1', END + 10 * M, HOME)],
    expect: [[], [], [], [`+${K('no_fix')}`], []],
  },
  {
    name: 'a fix whose accuracy circle crosses the home boundary is neither in nor out',
    steps: [fix('t1', W - 10 * M, HOME), fix('t1', W + 60 * M, { lat: 31.1899, lon: 121.437 }, 30), fix('t1', W + 61 * M, { lat: 31.1899, lon: 121.437 }, 30)],
    expect: [[], [], []],
  },
];

for (const row of table) {
  test(`curfew: ${row.name}`, () => {
    assert.deepEqual(run(engineFor(rules(row.extra)), row.steps), row.expect);
  });
}

test('curfew: a listed device is watched from start-up, before its first message (no fix all night, from timers alone; never located is not "late")', () => {
  const e = engineFor(rules());
  const out = run(e, [tick(W + M), tick(END + M)], W - 60 * M);
  assert.deepEqual(out, [[], [`+${K('no_fix')}`]]);
});

test('curfew: the next night is a new window with its own alerts', () => {
  const e = engineFor(rules());
  const W2 = W + 86_400_000;
  const out = drafts(e, [fix('t1', W - 10 * M, AWAY), tick(W + M), fix('t1', W + 30 * M, HOME), tick(END + M), fix('t1', END + 60 * M, AWAY), tick(W2 + M)]);
  assert.deepEqual(
    out.map((d) => `${d.clear ? '-' : '+'}${d.key}`),
    [`+${K('late')}`, `-${K('late')}`, `+curfew.late:t1:home-1:${W2}`],
  );
  assert.equal(out[0]!.evidence.window_start_ts, W);
  assert.equal(out[0]!.evidence.window_end_ts, END);
  assert.equal(out[0]!.evidence.fixes?.length, 1, 'the late alert shows the last known position');
});
