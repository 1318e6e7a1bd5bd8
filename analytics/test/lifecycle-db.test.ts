import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { Alert, check, type AlertState } from '@vigil/schemas';
import { createPool, migrate } from '@vigil/ingest';
import { backends } from '../../ingest/test/backends.js';
import { applyAlertAction, escalateOverdue, expireShelves, loadRuleSet, raiseAlert, type AlertDraft } from '../src/index.js';

const T = 1_764_000_000_000;
const draft = (key: string, ts: number, extra: Partial<AlertDraft> = {}): AlertDraft => ({
  rule: 'tamper.strap',
  key,
  severity: 'critical',
  site: 'cc-xuhui',
  dev: 'tag-1',
  title: { en: 'Strap cut', 'zh-CN': '腕带被剪断' },
  ts,
  evidence: {},
  ...extra,
});

for (const backend of backends()) {
  describe(`alarm lifecycle on ${backend.name}`, { skip: backend.skip }, () => {
    let pool: pg.Pool;
    before(async () => {
      pool = createPool(await backend.start());
      await migrate(pool);
      await pool.query(`INSERT INTO org_units VALUES ('moj', NULL, 1, 'Ministry', '司法部'), ('sh', 'moj', 2, 'Shanghai', '上海'), ('xh', 'sh', 4, 'Xuhui', '徐汇')`);
      await pool.query(`INSERT INTO sites VALUES ('cc-xuhui', 'xh', 'community', 'Xuhui', '徐汇')`);
    });
    after(async () => {
      await pool?.end();
      await backend.stop();
    });

    const transitions = async (id: string) =>
      (
        await pool.query<{ action: string; from_state: string | null; to_state: string; actor: string; reason: string | null; detail: Record<string, unknown> | null }>(
          `SELECT action, from_state, to_state, actor, reason, detail FROM alert_transitions WHERE alert_id = $1 ORDER BY id`,
          [id],
        )
      ).rows;

    test('raise, acknowledge, dispatch, arrive, resolve: each transition stored with who, when, why; every state published', async () => {
      const { alert } = await raiseAlert(pool, draft('life-1', T));
      assert.ok(alert);
      assert.equal(alert.state, 'raised');
      assert.equal(alert.acked, false);
      assert.equal(alert.active, true);
      const published: Alert[] = [];
      const onChange = (a: Alert) => published.push(a);
      const ack = await applyAlertAction(pool, { alertId: alert.id, action: 'acknowledge', actor: 'op-1' }, { now: T + 1000, onChange });
      assert.ok(ack.ok);
      assert.equal(ack.alert.state, 'acknowledged');
      assert.equal(ack.alert.acked_by, 'op-1');
      assert.equal(ack.alert.acked_ts, T + 1000);

      const arriveEarly = await applyAlertAction(pool, { alertId: alert.id, action: 'arrive', actor: 'off-7' }, { now: T + 1500, onChange });
      assert.equal(arriveEarly.ok, false);
      assert.ok(!arriveEarly.ok && arriveEarly.code === 'invalid_transition');

      const noOfficer = await applyAlertAction(pool, { alertId: alert.id, action: 'dispatch', actor: 'op-1' }, { now: T + 2000 });
      assert.ok(!noOfficer.ok && noOfficer.code === 'missing_field' && noOfficer.field === 'officerId');

      const disp = await applyAlertAction(pool, { alertId: alert.id, action: 'dispatch', actor: 'op-1', officerId: 'off-7', reason: 'nearest' }, { now: T + 2000, onChange });
      assert.ok(disp.ok && disp.alert.state === 'dispatched' && disp.alert.officer === 'off-7' && disp.alert.dispatched_ts === T + 2000);
      const arr = await applyAlertAction(pool, { alertId: alert.id, action: 'arrive', actor: 'off-7' }, { now: T + 60_000, onChange });
      assert.ok(arr.ok && arr.alert.state === 'on_scene' && arr.alert.arrived_ts === T + 60_000);
      const noNote = await applyAlertAction(pool, { alertId: alert.id, action: 'resolve', actor: 'off-7', disposition: 'false_alarm' }, { now: T + 90_000 });
      assert.ok(!noNote.ok && noNote.field === 'note');
      const res = await applyAlertAction(pool, { alertId: alert.id, action: 'resolve', actor: 'off-7', disposition: 'equipment_fault', note: 'strap latch broken; replaced' }, { now: T + 90_000, onChange });
      assert.ok(res.ok && res.alert.state === 'resolved' && res.alert.disposition === 'equipment_fault' && res.alert.resolved_ts === T + 90_000);

      assert.deepEqual(published.map((a) => a.state), ['acknowledged', 'dispatched', 'on_scene', 'resolved']);
      for (const a of published) assert.ok(check(Alert, a).ok, 'each published state is a valid Alert record');
      const rows = await transitions(alert.id);
      assert.deepEqual(
        rows.map((r) => [r.action, r.from_state, r.to_state, r.actor]),
        [
          ['raise', null, 'raised', 'rule:tamper.strap'],
          ['acknowledge', 'raised', 'acknowledged', 'op-1'],
          ['dispatch', 'acknowledged', 'dispatched', 'op-1'],
          ['arrive', 'dispatched', 'on_scene', 'off-7'],
          ['resolve', 'on_scene', 'resolved', 'off-7'],
        ],
      );
      assert.equal(rows[2]!.reason, 'nearest');
      assert.deepEqual(rows[4]!.detail, { disposition: 'equipment_fault', note: 'strap latch broken; replaced' });
      const at = await pool.query(`SELECT extract(epoch from at) * 1000 AS ms FROM alert_transitions WHERE alert_id = $1 AND action = 'arrive'`, [alert.id]);
      assert.equal(Number(at.rows[0].ms), T + 60_000, 'when: the time of the action');
    });

    test('an unknown alert is not_found; a missing actor is named', async () => {
      const r = await applyAlertAction(pool, { alertId: '0190a0b0-0000-7000-8000-00000000dead', action: 'acknowledge', actor: 'op-1' });
      assert.ok(!r.ok && r.code === 'not_found');
      const bad = await applyAlertAction(pool, { alertId: 'not-a-uuid', action: 'acknowledge', actor: 'op-1' });
      assert.ok(!bad.ok && bad.code === 'not_found');
      const { alert } = await raiseAlert(pool, draft('life-actor', T));
      const r2 = await applyAlertAction(pool, { alertId: alert!.id, action: 'acknowledge', actor: '' });
      assert.ok(!r2.ok && r2.field === 'actor');
    });

    test('returned to normal keeps needing acknowledgement; acknowledged and normal closes; a repeat then opens a new alert', async () => {
      const first = await raiseAlert(pool, draft('life-rtn', T, { cause: 'm1' }));
      const cleared = await raiseAlert(pool, draft('life-rtn', T + 5000, { clear: true, cause: 'm2' }));
      assert.equal(cleared.outcome, 'cleared');
      assert.equal(cleared.alert!.state, 'raised');
      assert.equal(cleared.alert!.active, false);
      assert.equal(cleared.alert!.acked, false);
      const ack = await applyAlertAction(pool, { alertId: first.alert!.id, action: 'acknowledge', actor: 'op-1' }, { now: T + 6000 });
      assert.ok(ack.ok && ack.alert.state === 'normal');
      const again = await raiseAlert(pool, draft('life-rtn', T + 600_000, { cause: 'm3' }));
      assert.equal(again.outcome, 'raised');
      assert.notEqual(again.alert!.id, first.alert!.id);
    });

    test('acknowledged then returned to normal closes by itself', async () => {
      const { alert } = await raiseAlert(pool, draft('life-ackrtn', T));
      await applyAlertAction(pool, { alertId: alert!.id, action: 'acknowledge', actor: 'op-1' }, { now: T + 1 });
      const c = await raiseAlert(pool, draft('life-ackrtn', T + 10, { clear: true }));
      assert.equal(c.alert!.state, 'normal');
      const rows = await transitions(alert!.id);
      assert.deepEqual(rows.at(-1), { action: 'clear', from_state: 'acknowledged', to_state: 'normal', actor: 'rule:tamper.strap', reason: 'Strap cut', detail: null });
    });

    test('repeats fold with a count and last time; a redelivered cause is not counted twice; active again after a clear', async () => {
      const a = await raiseAlert(pool, draft('life-fold', T, { cause: 'x1' }));
      const b = await raiseAlert(pool, draft('life-fold', T + 10_000, { cause: 'x2' }));
      const dup = await raiseAlert(pool, draft('life-fold', T + 10_000, { cause: 'x2' }));
      assert.equal(b.outcome, 'folded');
      assert.equal(dup.outcome, 'duplicate');
      assert.equal(b.alert!.id, a.alert!.id);
      assert.equal(b.alert!.count, 2);
      assert.equal(b.alert!.last_ts, T + 10_000);
      await raiseAlert(pool, draft('life-fold', T + 20_000, { clear: true, cause: 'x3' }));
      const c = await raiseAlert(pool, draft('life-fold', T + 30_000, { cause: 'x4' }));
      assert.equal(c.alert!.active, true);
      assert.equal(c.alert!.count, 3);
      assert.deepEqual((await transitions(a.alert!.id)).map((r) => r.action), ['raise', 'clear', 'reactivate']);
    });

    test('cooldown: a condition resolved a moment ago does not reopen in a storm; after the cooldown it does', async () => {
      const a = await raiseAlert(pool, draft('life-storm', T), { cooldownMs: 60_000 });
      await applyAlertAction(pool, { alertId: a.alert!.id, action: 'resolve', actor: 'op-1', disposition: 'false_alarm', note: 'flapping sensor' }, { now: T + 1000 });
      const storm = [];
      for (let i = 1; i <= 5; i++) storm.push(await raiseAlert(pool, draft('life-storm', T + i * 5000, { cause: `s${i}` }), { cooldownMs: 60_000 }));
      assert.deepEqual(storm.map((s) => s.outcome), ['cooled', 'cooled', 'cooled', 'cooled', 'cooled']);
      assert.equal(storm.at(-1)!.alert!.count, 6);
      assert.equal(storm.at(-1)!.alert!.state, 'resolved');
      const later = await raiseAlert(pool, draft('life-storm', T + 25_000 + 61_000, { cause: 's9' }), { cooldownMs: 60_000 });
      assert.equal(later.outcome, 'raised');
      const open = await pool.query(`SELECT count(*)::int AS n FROM alerts WHERE key = 'life-storm'`);
      assert.equal(open.rows[0].n, 2);
    });

    test('shelve needs until and reason; it lifts itself when the time passes (sweep or next action)', async () => {
      const { alert } = await raiseAlert(pool, draft('life-shelf', T));
      const noReason = await applyAlertAction(pool, { alertId: alert!.id, action: 'shelve', actor: 'op-2', until: T + 3_600_000 }, { now: T });
      assert.ok(!noReason.ok && noReason.field === 'reason');
      const s = await applyAlertAction(pool, { alertId: alert!.id, action: 'shelve', actor: 'op-2', until: T + 3_600_000, reason: 'gate sensor under repair' }, { now: T });
      assert.ok(s.ok && s.alert.state === 'shelved' && s.alert.shelved_until === T + 3_600_000 && s.alert.shelved_by === 'op-2' && s.alert.shelve_reason === 'gate sensor under repair');
      assert.deepEqual(await expireShelves(pool, T + 3_599_999), []);
      const lifted = await expireShelves(pool, T + 3_600_000);
      assert.deepEqual(lifted.map((a) => [a.id, a.state]), [[alert!.id, 'raised']]);
      assert.equal(lifted[0]!.shelved_until, undefined);
      const rows = await transitions(alert!.id);
      assert.deepEqual(rows.at(-1)!.actor, 'system:shelf-expiry');

      // Expired but not yet swept: the next action sees it unshelved.
      const { alert: b } = await raiseAlert(pool, draft('life-shelf-2', T));
      await applyAlertAction(pool, { alertId: b!.id, action: 'shelve', actor: 'op-2', until: T + 60_000, reason: 'drill' }, { now: T });
      const ack = await applyAlertAction(pool, { alertId: b!.id, action: 'acknowledge', actor: 'op-2' }, { now: T + 120_000 });
      assert.ok(ack.ok && ack.alert.state === 'acknowledged', JSON.stringify(ack));
      assert.deepEqual((await transitions(b!.id)).map((r) => r.action), ['raise', 'shelve', 'unshelve', 'acknowledge']);
    });

    test('out of service and back; suppressed by design is stored but not raised', async () => {
      const { alert } = await raiseAlert(pool, draft('life-oos', T));
      const o = await applyAlertAction(pool, { alertId: alert!.id, action: 'out_of_service', actor: 'tech-1', reason: 'tag in repair' }, { now: T });
      assert.ok(o.ok && o.alert.state === 'out_of_service');
      const folded = await raiseAlert(pool, draft('life-oos', T + 10));
      assert.equal(folded.alert!.state, 'out_of_service', 'repeats fold quietly while out of service');
      const back = await applyAlertAction(pool, { alertId: alert!.id, action: 'return_to_service', actor: 'tech-1' }, { now: T + 20 });
      assert.ok(back.ok && back.alert.state === 'raised');
      const sup = await raiseAlert(pool, draft('life-sup', T, { suppressed: true }));
      assert.equal(sup.alert!.state, 'suppressed' satisfies AlertState);
    });

    test('the rule set from the registry: a circle curfew zone with its schedule and devices, thresholds and doors; a bad stored value names the field', async () => {
      const schedule = { weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '21:00', end: '06:00' }], exceptions: [{ date: '2025-12-31', off: true }] };
      await pool.query(
        `INSERT INTO zones (id, site_id, kind, name_en, name_zh, geometry, radius_m, schedule, curfew, device_ids, min_fixes, min_duration_s, grace_s)
         VALUES ('home-9', 'cc-xuhui', 'inclusion', 'Home', '住所', $1, 150, $2, true, ARRAY['tag-9'], 2, 120, 600)`,
        [JSON.stringify({ type: 'Point', coordinates: [121.44, 31.19] }), JSON.stringify(schedule)],
      );
      await pool.query(`INSERT INTO analytics_rule_sets (id, config) VALUES ('default', $1)`, [JSON.stringify({ defaults: { comm_loss_s: 300 }, doors: [{ id: 'd1', site: 'cc-xuhui', held_open_s: 45 }] })]);
      const rs = await loadRuleSet(pool, { defaults: { min_fixes: 3 } });
      const z = rs.zones.find((x) => x.id === 'home-9')!;
      assert.deepEqual([z.kind, z.radius_m, z.curfew, z.devices, z.min_fixes, z.min_duration_s, z.grace_s], ['inclusion', 150, true, ['tag-9'], 2, 120, 600]);
      assert.deepEqual(z.schedule, schedule);
      assert.equal(rs.defaults.comm_loss_s, 300);
      assert.equal(rs.defaults.min_fixes, 3, 'a setting from the environment fills what the stored set leaves out');
      assert.equal(rs.doors[0]!.held_open_s, 45);
      await pool.query(`UPDATE zones SET schedule = $1 WHERE id = 'home-9'`, [JSON.stringify({ weekly: [{ days: [1], start: '25:00', end: '06:00' }] })]);
      await assert.rejects(loadRuleSet(pool), /zones\/\d+\/schedule\/weekly\/0\/start/);
      await pool.query(`DELETE FROM zones WHERE id = 'home-9'`);
      await pool.query(`DELETE FROM analytics_rule_sets`);
    });

    test('escalation: unacknowledged past the limit goes to the next level up, marked; again after another span; stops at the top', async () => {
      const { alert } = await raiseAlert(pool, draft('life-esc', T));
      const { alert: acked } = await raiseAlert(pool, draft('life-esc-acked', T));
      await applyAlertAction(pool, { alertId: acked!.id, action: 'acknowledge', actor: 'op-1' }, { now: T + 1 });
      const mine = (list: Alert[]) => list.filter((a) => a.key.startsWith('life-esc'));
      assert.deepEqual(mine(await escalateOverdue(pool, { afterMs: 300_000, now: T + 299_999 })), []);
      const one = mine(await escalateOverdue(pool, { afterMs: 300_000, now: T + 300_000 }));
      assert.deepEqual(one.map((a) => [a.id, a.escalation_level, a.escalated_to]), [[alert!.id, 1, 'sh']]);
      assert.deepEqual(mine(await escalateOverdue(pool, { afterMs: 300_000, now: T + 400_000 })), [], 'not again before another span');
      const two = mine(await escalateOverdue(pool, { afterMs: 300_000, now: T + 600_000 }));
      assert.deepEqual(two.map((a) => [a.escalation_level, a.escalated_to]), [[2, 'moj']]);
      assert.deepEqual(mine(await escalateOverdue(pool, { afterMs: 300_000, now: T + 10_000_000 })), [], 'the ministry has no parent');
      const rows = await transitions(alert!.id);
      assert.deepEqual(rows.filter((r) => r.action === 'escalate').map((r) => [r.actor, r.detail]), [
        ['system:escalation', { level: 1, to: 'sh' }],
        ['system:escalation', { level: 2, to: 'moj' }],
      ]);
    });
  });
}
