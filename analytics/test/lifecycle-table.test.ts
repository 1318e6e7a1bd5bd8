import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertAction, AlertState } from '@vigil/schemas';
import { allowedActions, checkActionFields, nextState, rowToAlert, type AlertRow } from '../src/index.js';

const T = 1_764_000_000_000;

// [state, acked, active, action, expected next state or 'refused', acked after]
const table: Array<[AlertState, boolean, boolean, AlertAction, AlertState | 'refused', boolean?]> = [
  ['raised', false, true, 'acknowledge', 'acknowledged', true],
  ['raised', false, false, 'acknowledge', 'normal', true], // returned to normal, then acknowledged: closed
  ['acknowledged', true, true, 'acknowledge', 'refused'],
  ['raised', false, true, 'shelve', 'shelved', false],
  ['shelved', false, true, 'unshelve', 'raised', false],
  ['shelved', true, true, 'unshelve', 'acknowledged', true],
  ['shelved', true, false, 'unshelve', 'normal', true],
  ['raised', false, true, 'dispatch', 'dispatched', true], // dispatching implies having seen it
  ['acknowledged', true, true, 'dispatch', 'dispatched', true],
  ['dispatched', true, true, 'dispatch', 'dispatched', true], // re-dispatch to another officer
  ['acknowledged', true, true, 'arrive', 'refused'],
  ['dispatched', true, true, 'arrive', 'on_scene', true],
  ['on_scene', true, true, 'resolve', 'resolved', true],
  ['on_scene', true, true, 'shelve', 'refused'], // an officer is there: no shelving
  ['resolved', true, false, 'acknowledge', 'refused'],
  ['resolved', true, false, 'dispatch', 'refused'],
  ['normal', true, false, 'resolve', 'refused'],
  ['raised', false, true, 'out_of_service', 'out_of_service', false],
  ['dispatched', true, true, 'out_of_service', 'refused'],
  ['out_of_service', false, true, 'return_to_service', 'raised', false],
  ['out_of_service', true, false, 'return_to_service', 'normal', true],
  ['out_of_service', false, true, 'acknowledge', 'refused'],
  ['suppressed', false, true, 'out_of_service', 'out_of_service', false],
];

for (const [state, acked, active, action, want, wantAcked] of table) {
  test(`lifecycle: ${action} on ${state} (acked ${acked}, active ${active}) -> ${want}`, () => {
    const r = nextState({ state, acked, active }, action);
    if (want === 'refused') {
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.code === 'invalid_transition' && r.text['zh-CN'].length > 0);
    } else {
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.state, want);
      assert.equal(r.acked, wantAcked);
    }
  });
}

test('allowed actions are what the table allows', () => {
  assert.deepEqual(allowedActions({ state: 'raised', acked: false, active: true }), ['acknowledge', 'dispatch', 'resolve', 'shelve', 'out_of_service']);
  assert.deepEqual(allowedActions({ state: 'dispatched', acked: true, active: true }), ['dispatch', 'arrive', 'resolve']);
  assert.deepEqual(allowedActions({ state: 'resolved', acked: true, active: false }), []);
  // A record from before the lifecycle fields (no acked/active) still works.
  assert.deepEqual(allowedActions({ state: 'acknowledged' }), ['dispatch', 'resolve', 'shelve', 'out_of_service']);
});

test('required fields are named when missing', () => {
  const miss = (action: AlertAction, f: object) => {
    const r = checkActionFields(action, f, T);
    return r ? r.field : undefined;
  };
  assert.equal(miss('shelve', { reason: 'x' }), 'until');
  assert.equal(miss('shelve', { until: T - 1, reason: 'x' }), 'until');
  assert.equal(miss('shelve', { until: T + 8 * 86_400_000, reason: 'x' }), 'until');
  assert.equal(miss('shelve', { until: T + 60_000, reason: '  ' }), 'reason');
  assert.equal(miss('shelve', { until: T + 60_000, reason: 'sensor replaced' }), undefined);
  assert.equal(miss('dispatch', {}), 'officerId');
  assert.equal(miss('resolve', { note: 'n' }), 'disposition');
  assert.equal(miss('resolve', { disposition: 'nonsense', note: 'n' }), 'disposition');
  assert.equal(miss('resolve', { disposition: 'false_alarm' }), 'note');
  assert.equal(miss('resolve', { disposition: 'false_alarm', note: 'GPS drift' }), undefined);
  assert.equal(miss('acknowledge', {}), undefined);
});

test('rowToAlert maps a row of only the first columns (older readers) and a full row', () => {
  const base: AlertRow = {
    id: '0190a0b0-0000-7000-8000-000000000001',
    key: 'k',
    rule: 'r',
    severity: 'high',
    state: 'raised',
    site_id: 's',
    device_id: 'd',
    subject_id: null,
    title_en: 'a',
    title_zh: '甲',
    raised_at: new Date(T),
    last_at: new Date(T),
    count: 1,
    evidence: {},
  };
  assert.equal('acked' in rowToAlert(base), false);
  const full = rowToAlert({ ...base, acked: true, active: false, shelved_until: null, officer_id: 'off-1', escalation_level: 1, escalated_to: 'city-1', escalated_at: new Date(T + 5) });
  assert.equal(full.acked, true);
  assert.equal(full.active, false);
  assert.equal(full.officer, 'off-1');
  assert.equal(full.escalated_ts, T + 5);
  assert.equal('shelved_until' in full, false);
});
