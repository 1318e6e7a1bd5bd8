import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fieldsToJson, LP_LIMITS, nsToTimestamptz, parseLine, parseLines, type LpFieldValue, type LpPoint } from '../src/line-protocol.js';
import { LP_ERROR_CODE, toLpRecords } from '../src/records.js';

const f = (value: number): LpFieldValue => ({ type: 'float', value });
const i = (value: bigint): LpFieldValue => ({ type: 'integer', value });
const u = (value: bigint): LpFieldValue => ({ type: 'unsigned', value });
const s = (value: string): LpFieldValue => ({ type: 'string', value });
const b = (value: boolean): LpFieldValue => ({ type: 'boolean', value });

const VALID: [string, string, LpPoint][] = [
  ['minimal float', 'cpu value=1', { measurement: 'cpu', tags: {}, fields: { value: f(1) } }],
  ['tags, fields, timestamp', 'cpu,host=a,region=east usage=0.5,idle=99.5 1764000000000000000', {
    measurement: 'cpu', tags: { host: 'a', region: 'east' }, fields: { usage: f(0.5), idle: f(99.5) }, timeNs: 1764000000000000000n,
  }],
  ['float forms', 'm a=-1.5,b=1e3,c=.5,d=2.,e=-3E-2', { measurement: 'm', tags: {}, fields: { a: f(-1.5), b: f(1000), c: f(0.5), d: f(2), e: f(-0.03) } }],
  ['integer and unsigned, exact at the int64/uint64 limits', 'm a=-9223372036854775808i,b=9223372036854775807i,c=18446744073709551615u,d=0u', {
    measurement: 'm', tags: {}, fields: { a: i(-(2n ** 63n)), b: i(2n ** 63n - 1n), c: u(2n ** 64n - 1n), d: u(0n) },
  }],
  ['booleans in every spelling', 'm a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE', {
    measurement: 'm', tags: {}, fields: { a: b(true), b: b(true), c: b(true), d: b(true), e: b(true), f: b(false), g: b(false), h: b(false), i: b(false), j: b(false) },
  }],
  ['string field with escaped quote, backslash, and separators inside', String.raw`m msg="say \"hi\", a=b c\\d\n"`, {
    measurement: 'm', tags: {}, fields: { msg: s(String.raw`say "hi", a=b c\d\n`) },
  }],
  ['empty string field', 'm msg=""', { measurement: 'm', tags: {}, fields: { msg: s('') } }],
  ['escaped comma and space in the measurement; "=" is literal there', String.raw`my\ meas\,ure=x v=1`, { measurement: 'my meas,ure=x', tags: {}, fields: { v: f(1) } }],
  ['escaped comma, equals and space in tag keys and values', String.raw`m,a\ b=c\,d,e\=f=g\ h v=1`, { measurement: 'm', tags: { 'a b': 'c,d', 'e=f': 'g h' }, fields: { v: f(1) } }],
  ['escaped characters in field keys', String.raw`m a\ b\=c\,d=1i`, { measurement: 'm', tags: {}, fields: { 'a b=c,d': i(1n) } }],
  ['a backslash before anything else is literal', String.raw`m,path=C:\temp v=1`, { measurement: 'm', tags: { path: String.raw`C:\temp` }, fields: { v: f(1) } }],
  ['negative timestamp', 'm v=1 -1000', { measurement: 'm', tags: {}, fields: { v: f(1) }, timeNs: -1000n }],
  ['unicode', 'température,pièce=salon °C=21.5', { measurement: 'température', tags: { pièce: 'salon' }, fields: { '°C': f(21.5) } }],
];

const INVALID: [string, string, RegExp][] = [
  ['no fields', 'cpu', /no fields/],
  ['no fields after tags', 'cpu,host=a', /no fields/],
  ['empty measurement', ',host=a v=1', /empty measurement/],
  ['tag without value', 'cpu,host v=1', /tag "host" has no "="/],
  ['empty tag value', 'cpu,host= v=1', /empty value of tag "host"/],
  ['unescaped "=" in tag value', 'cpu,host=a=b v=1', /unescaped "=" in value of tag "host"/],
  ['duplicate tag', 'cpu,a=1,a=2 v=1', /duplicate tag "a"/],
  ['field without value', 'cpu v=', /field "v": empty value/],
  ['field without "="', 'cpu v', /field "v" has no "="/],
  ['duplicate field', 'cpu v=1,v=2', /duplicate field "v"/],
  ['bad value', 'cpu v=abc', /field "v": "abc" is not a float/],
  ['integer out of int64', 'cpu v=9223372036854775808i', /out of the int64 range/],
  ['negative unsigned', 'cpu v=-1u', /field "v": "-1u" is not a float/],
  ['unsigned out of uint64', 'cpu v=18446744073709551616u', /out of the uint64 range/],
  ['float overflow', 'cpu v=1e999', /float 1e999 is out of range/],
  ['unterminated string', 'cpu v="abc', /string has no closing quote/],
  ['junk after a string', 'cpu v="a"b', /unexpected "b" after the closing quote/],
  ['non-integer timestamp', 'cpu v=1 12.5', /timestamp "12.5" is not an integer/],
  ['timestamp out of int64', 'cpu v=1 9223372036854775808', /out of the int64 range/],
  ['extra element', 'cpu v=1 123 456', /timestamp "123 456" is not an integer/],
  ['measurement too long', `${'m'.repeat(LP_LIMITS.maxKeyChars + 1)} v=1`, /measurement "m+"… is longer than 128 characters/],
  ['tag key too long', `m,${'k'.repeat(129)}=1 v=1`, /tag key .* longer than 128 characters/],
  ['too many tags', `m,${Array.from({ length: 65 }, (_, n) => `t${n}=1`).join(',')} v=1`, /more than 64 tags/],
  ['too many fields', `m ${Array.from({ length: 65 }, (_, n) => `f${n}=1`).join(',')}`, /more than 64 fields/],
  ['tag set too large', `m,${Array.from({ length: 10 }, (_, n) => `t${n}=${'x'.repeat(120)}`).join(',')} v=1`, /tag set larger than 1024 bytes/],
];

describe('line protocol parser', () => {
  for (const [name, line, point] of VALID) {
    test(`valid: ${name}`, () => {
      assert.deepEqual(parseLine(line, 7), { ok: true, line: 7, point });
    });
  }
  for (const [name, line, reason] of INVALID) {
    test(`invalid: ${name}`, () => {
      const r = parseLine(line, 3);
      assert.equal(r.ok, false, `should refuse ${JSON.stringify(line)}`);
      if (r.ok) return;
      assert.equal(r.line, 3);
      assert.match(r.reason, /^line 3: /, 'the reason names the line');
      assert.match(r.reason, reason);
    });
  }

  test('parseLines skips blank lines and comments, accepts CRLF, and numbers lines as in the text', () => {
    const results = parseLines('# header\r\ncpu v=1\r\n\r\n   \nbad\ncpu v=2 5\n');
    assert.deepEqual(
      results.map((r) => [r.line, r.ok]),
      [[2, true], [5, false], [6, true]],
    );
    assert.deepEqual(results[2]!.ok && results[2]!.point.timeNs, 5n);
  });

  test('fieldsToJson keeps 64-bit integers exact', () => {
    const json = fieldsToJson({ a: i(-(2n ** 63n)), b: u(2n ** 64n - 1n), c: f(0.5), d: s('x"y'), e: b(false) });
    assert.equal(json, '{"a":-9223372036854775808,"b":18446744073709551615,"c":0.5,"d":"x\\"y","e":false}');
  });

  test('nsToTimestamptz keeps microseconds and floors negative times', () => {
    assert.equal(nsToTimestamptz(1764000000123456789n), '2025-11-24T16:00:00.123456Z');
    assert.equal(nsToTimestamptz(0n), '1970-01-01T00:00:00.000000Z');
    assert.equal(nsToTimestamptz(-1n), '1969-12-31T23:59:59.999999Z');
  });
});

describe('toLpRecords', () => {
  const topic = 'vigil/v1/cc-xuhui/sensor-1/lp';
  const at = new Date('2026-01-01T00:00:00Z');

  test('good lines become metrics rows, a bad line a dead letter with its line number', () => {
    const records = toLpRecords(topic, Buffer.from('cpu,host=a v=1i 1000\ncpu v=oops\nmem free=2'), at);
    assert.deepEqual(records.map((r) => r.table), ['metrics', 'dead_letters', 'metrics']);
    assert.deepEqual(records[0]!.values, ['1970-01-01T00:00:00.000001Z', 'cc-xuhui', 'sensor-1', 'cpu', '{"host":"a"}', '{"v":1}']);
    assert.deepEqual(records[2]!.values, [at, 'cc-xuhui', 'sensor-1', 'mem', '{}', '{"free":2}']);
    const dead = records[1]!;
    assert.ok(dead.table === 'dead_letters');
    assert.deepEqual(dead.values.slice(0, 2), ['mqtt', topic]);
    assert.equal((dead.values[2] as Buffer).toString(), 'cpu v=oops');
    assert.deepEqual(dead.values.slice(3, 5), [LP_ERROR_CODE, 'line 2']);
    assert.match(dead.error.message, /^line 2: field "v"/);
  });

  test('a payload refused as a whole is one dead letter', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['vigil/v1/cc-xuhui/sensor-1/telemetry', Buffer.from('m v=1'), /is not vigil\/v1\/<site>\/<device>\/lp/],
      [topic, Buffer.alloc(64 * 1024 + 1, 'a'), /exceeds 65536/],
      [topic, Buffer.from([0x6d, 0x20, 0x76, 0x3d, 0xff]), /not UTF-8/],
      [topic, Buffer.from('\n# only a comment\n'), /no lines/],
      [topic, Buffer.from(Array.from({ length: 1001 }, (_, n) => `m v=${n}`).join('\n')), /1001 lines, more than 1000/],
    ];
    for (const [t, payload, reason] of cases) {
      const records = toLpRecords(t, payload, at);
      assert.equal(records.length, 1);
      const r = records[0]!;
      assert.ok(r.table === 'dead_letters');
      assert.deepEqual([r.error.code, r.error.field], [LP_ERROR_CODE, '']);
      assert.match(r.error.message, reason);
      assert.equal(r.values[2], payload);
    }
  });
});
