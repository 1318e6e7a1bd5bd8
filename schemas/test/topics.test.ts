import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertsTopic, commandTopic, deviceTopic, isValidId, parseTopic } from '../src/index.js';

test('builders and the parser agree', () => {
  assert.deepEqual(parseTopic(deviceTopic('prison-north', 'tag-1', 'telemetry')), { kind: 'device', site: 'prison-north', device: 'tag-1', channel: 'telemetry' });
  assert.deepEqual(parseTopic(commandTopic('s1', 'gw', 'lock')), { kind: 'command', site: 's1', device: 'gw', name: 'lock' });
  assert.deepEqual(parseTopic(`${commandTopic('s1', 'gw', 'lock')}/res`), { kind: 'command-result', site: 's1', device: 'gw', name: 'lock' });
  assert.deepEqual(parseTopic(alertsTopic('s1')), { kind: 'alerts', site: 's1' });
});

test('the parser refuses what is not a Vigil topic', () => {
  for (const t of ['', 'vigil', 'vigil/v1', 'vigil/v1/s1/d1/unknown', 'vigil/v1/s1/d1/cmd', 'vigil/v1/s1/d1/cmd/lock/res/x', 'vigil/v1/+/d1/telemetry', 'vigil/v1/s1/#/telemetry', 'x/v1/s1/d1/telemetry']) {
    assert.equal(parseTopic(t), null, t);
  }
});

test('builders refuse ids with MQTT wildcards or separators', () => {
  for (const bad of ['a/b', '+', '#', 'a+b', '', 'x'.repeat(65), '-leading']) {
    assert.equal(isValidId(bad), false, bad);
    assert.throws(() => deviceTopic(bad, 'd', 'event'), /invalid site id/);
    assert.throws(() => deviceTopic('s', bad, 'event'), /invalid device id/);
  }
});
