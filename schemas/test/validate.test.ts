import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGE_KINDS, MAX_PAYLOAD_BYTES, validate, type MessageKind } from '../src/index.js';
import { VALID } from './samples.js';

const kinds = Object.keys(MESSAGE_KINDS) as MessageKind[];

/** Deep-copy a sample and change one path. */
function mutate(kind: MessageKind, edit: (m: Record<string, unknown> & { body: Record<string, unknown> }) => void) {
  const m = structuredClone(VALID[kind].message) as Record<string, unknown> & { body: Record<string, unknown> };
  edit(m);
  return m;
}

for (const kind of kinds) {
  test(`${kind}: the valid sample passes as a Buffer, a string and an object`, () => {
    const { topic, message } = VALID[kind];
    for (const payload of [Buffer.from(JSON.stringify(message)), JSON.stringify(message), message]) {
      const r = validate(topic, payload);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.message.type, kind);
    }
  });

  test(`${kind}: envelope faults name the field and rule`, () => {
    const { topic } = VALID[kind];
    const cases: Array<[string, (m: Record<string, unknown>) => void, string, string]> = [
      ['missing id', (m) => delete m.id, '/id', 'required'],
      ['id not a uuid', (m) => (m.id = 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'), '/id', 'pattern'],
      ['seq negative', (m) => (m.seq = -1), '/seq', 'minimum'],
      ['seq a string', (m) => (m.seq = '7'), '/seq', 'type'],
      ['ts in 1970', (m) => (m.ts = 1000), '/ts', 'minimum'],
      ['wrong version', (m) => (m.v = 2), '/v', 'const'],
      ['unexpected field', (m) => (m.extra = 1), '/extra', 'additionalProperties'],
      ['oversized device id', (m) => (m.dev = 'd'.repeat(65)), '/dev', 'maxLength'],
    ];
    for (const [name, edit, field, rule] of cases) {
      const r = validate(topic, mutate(kind, edit));
      assert.equal(r.ok, false, name);
      if (!r.ok) {
        assert.equal(r.error.field, field, name);
        assert.equal(r.error.rule, rule, `${name}: ${r.error.message}`);
        assert.match(r.error.message, new RegExp(field.replace('/', '\\/')), name);
      }
    }
  });

  test(`${kind}: a topic whose device differs from dev is refused`, () => {
    const { topic, message } = VALID[kind];
    const other = topic.split('/');
    other[3] = 'someone-else';
    const r = validate(other.join('/'), message);
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual([r.error.code, r.error.field, r.error.rule], ['VIGIL_SCHEMA_DEVICE', '/dev', 'topic-device-match']);
  });

  test(`${kind}: the wrong channel is refused`, () => {
    const { topic, message } = VALID[kind];
    const wrong = topic.endsWith('/event') ? topic.replace(/event$/, 'telemetry') : topic.replace(/(telemetry|status)$/, 'event');
    const r = validate(wrong, message);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'VIGIL_SCHEMA_CHANNEL');
  });
}

test('body faults per kind name the field and rule', () => {
  const cases: Array<[MessageKind, (b: Record<string, unknown>) => void, string, string]> = [
    ['tag.fix', (b) => (b.lat = 90.0001), '/body/lat', 'maximum'],
    ['tag.fix', (b) => (b.lat = -91), '/body/lat', 'minimum'],
    ['tag.fix', (b) => (b.lon = 180.5), '/body/lon', 'maximum'],
    ['tag.fix', (b) => (b.lon = '121.4'), '/body/lon', 'type'],
    ['tag.fix', (b) => delete b.acc_m, '/body/acc_m', 'required'],
    ['tag.fix', (b) => (b.acc_m = -1), '/body/acc_m', 'minimum'],
    ['tag.fix', (b) => (b.src = 'satellite'), '/body/src', 'anyOf'],
    ['tag.health', (b) => (b.battery_pct = 101), '/body/battery_pct', 'maximum'],
    ['tag.health', (b) => (b.fw = 'v'.repeat(33)), '/body/fw', 'maxLength'],
    ['tag.tamper', (b) => (b.what = 'lid'), '/body/what', 'anyOf'],
    ['tag.tamper', (b) => delete b.active, '/body/active', 'required'],
    ['gate.state', (b) => (b.door = 'a/b'), '/body/door', 'pattern'],
    ['gate.state', (b) => (b.open = 'yes'), '/body/open', 'type'],
    ['gate.access', (b) => (b.card = 'c'.repeat(65)), '/body/card', 'maxLength'],
    ['gate.access', (b) => (b.card = ''), '/body/card', 'minLength'],
    ['gate.alarm', (b) => (b.alarm = 'fire'), '/body/alarm', 'anyOf'],
    ['cam.health', (b) => (b.fps = -3), '/body/fps', 'minimum'],
    ['cam.health', (b) => (b.error = 'e'.repeat(300)), '/body/error', 'maxLength'],
    ['agent.status', (b) => (b.queue_depth = 1.5), '/body/queue_depth', 'type'],
    ['agent.status', (b) => delete b.online, '/body/online', 'required'],
  ];
  for (const [kind, edit, field, rule] of cases) {
    const r = validate(VALID[kind].topic, mutate(kind, (m) => edit(m.body)));
    assert.equal(r.ok, false, `${kind} ${field}`);
    if (!r.ok) assert.deepEqual([r.error.field, r.error.rule], [field, rule], `${kind}: ${r.error.message}`);
  }
});

test('payload faults: not JSON, too large, unknown or missing type, bad topic', () => {
  const fix = VALID['tag.fix'];
  const notJson = validate(fix.topic, Buffer.from('{"v":1,'));
  assert.equal(!notJson.ok && notJson.error.code, 'VIGIL_SCHEMA_JSON');
  const big = validate(fix.topic, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20));
  assert.equal(!big.ok && big.error.code, 'VIGIL_SCHEMA_SIZE');
  const unknown = validate(fix.topic, mutate('tag.fix', (m) => (m.type = 'tag.teleport')));
  assert.deepEqual(!unknown.ok && [unknown.error.code, unknown.error.field], ['VIGIL_SCHEMA_KIND', '/type']);
  const noType = validate(fix.topic, mutate('tag.fix', (m) => delete m.type));
  assert.equal(!noType.ok && noType.error.field, '/type');
  for (const topic of ['vigil/v1/site/dev', 'vigil/v2/site/dev/telemetry', 'vigil/v1/si+te/dev/telemetry', 'vigil/v1/site/dev/cmd/lock', 'vigil/v1/site/dev/lp', 'other']) {
    const r = validate(topic, fix.message);
    assert.equal(!r.ok && r.error.code, 'VIGIL_SCHEMA_TOPIC', topic);
  }
  assert.equal(validate(fix.topic, 'null').ok, false);
  assert.equal(validate(fix.topic, '[]').ok, false);
});
