import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { check, MESSAGE_KINDS, type BodyOf, type MessageKind } from '@vigil/schemas';
import { DEMO, SimFleet, buildTagFleet, createNmeaSink, encodeEvent, identify, sentence, tagInjector, type SimEvent } from '@vigil/device-sim';
import type { DriverContext, DriverState } from '../src/index.js';
import { createNmeaDriver, nmeaPlugin } from '../src/drivers/nmea/index.js';

/** Great-circle distance in metres between [lon, lat] points (haversine). */
function distance(a: [number, number], b: [number, number], _o?: unknown): number {
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

/** A DriverContext that keeps what the driver did. */
function testContext() {
  const emitted: Array<{ device: string; type: MessageKind; body: Record<string, unknown>; ts: number | undefined }> = [];
  const counts: Record<string, number> = {};
  const states: Array<{ state: DriverState; detail?: string }> = [];
  const warnings: string[] = [];
  const log = pino({ level: 'silent' });
  const ctx: DriverContext = {
    name: 'tags',
    site: 'cc-lingyin',
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (obj: object | string, msg?: string) => void warnings.push(`${msg ?? ''} ${JSON.stringify(obj)}`),
      error: (obj: object | string, msg?: string) => log.error(obj, msg),
    },
    async emit<K extends MessageKind>(device: string, type: K, body: BodyOf<K>, opts?: { ts?: number }) {
      const schema = (MESSAGE_KINDS[type].schema.properties as { body: Parameters<typeof check>[0] }).body;
      const r = check(schema, body);
      assert.ok(r.ok, `${type} body invalid: ${JSON.stringify(r)}`);
      emitted.push({ device, type, body: body as Record<string, unknown>, ts: opts?.ts });
    },
    setState: (state, detail) => void states.push({ state, detail }),
    count: (reason, n = 1) => void (counts[reason] = (counts[reason] ?? 0) + n),
  };
  return { ctx, emitted, counts, states, warnings };
}

const until = async (cond: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const START = Date.parse('2026-03-02T13:55:00+08:00');
const subjects = DEMO.subjects.slice(0, 4);

test('the driver turns the simulator\'s NMEA over TCP into fixes within the noise, health and tamper; a bad checksum is counted, never emitted', async () => {
  const { ctx, emitted, counts, warnings } = testContext();
  const driver = createNmeaDriver(
    { source: { kind: 'tcp-listen', host: '127.0.0.1', port: 0 }, tags: [...subjects.map((s) => s.tagId)], epochFlushMs: 200 },
    ctx,
  );
  await driver.start();
  const port = driver.port()!;
  assert.ok(port > 0);

  const sent: SimEvent[] = [];
  const sink = createNmeaSink({ host: '127.0.0.1', port, logger: pino({ level: 'silent' }) });
  await sink.connect(subjects.map((s) => ({ id: s.tagId })));
  const built = buildTagFleet({ subjects, zones: DEMO.zones, seed: 3, startMs: START, tag: { fixIntervalMs: 10_000, healthIntervalMs: 60_000 } });
  const fleet = new SimFleet(
    built.devices.filter((d) => built.tags.has(d.id)),
    (ev) => {
      sent.push(ev);
      return sink.send(ev);
    },
    START,
  );
  await fleet.runUntil(START + 5 * 60_000);
  const tag = subjects[0]!.tagId;
  const inject = tagInjector(fleet, built);
  await inject.inject(tag, 'strap-cut', {});
  // a GGA whose checksum is wrong, on the same tag's stream
  const good = sentence('GPGGA,060000.00,3015.00000,N,12008.00000,E,1,08,0.9,12.0,M,7.0,M,,');
  const bad = good.replace(/\*[0-9A-F]{2}/, (m) => (m === '*00' ? '*01' : '*00'));
  await sink.writeRaw(tag, bad);
  await sink.writeRaw(tag, '$GPGGA,garbage\r\n');
  await fleet.runUntil(START + 6 * 60_000);

  const expected = sent.length;
  await until(() => emitted.length >= expected);
  await sink.close();
  await driver.stop();

  assert.equal(emitted.length, expected, 'one message per simulated event, nothing more');
  assert.equal(counts.checksum, 1, 'the bad checksum is counted');
  assert.equal(counts.malformed, 1, 'the sentence without a checksum is counted');
  assert.ok(warnings.some((w) => w.includes('checksum')), 'and logged');
  assert.ok(!emitted.some((m) => m.type === 'tag.fix' && Math.abs((m.body.lat as number) - 30.25) < 1e-9), 'the corrupted fix is not published');

  // every simulated event arrives, in order per tag, and each fix is where the simulator put it
  for (const s of subjects) {
    const want = sent.filter((e) => e.dev === s.tagId);
    const got = emitted.filter((m) => m.device === s.tagId);
    assert.deepEqual(got.map((m) => m.type), want.map((e) => e.type), `${s.tagId}: same kinds in the same order`);
    want.forEach((e, i) => {
      const m = got[i]!;
      if (e.type !== 'tag.fix') return assert.deepEqual(m.body, e.body);
      const off = distance([m.body.lon as number, m.body.lat as number], [e.body.lon, e.body.lat]);
      assert.ok(off < 0.1, `${s.tagId} fix ${i}: ${off} m from the simulated fix`);
      assert.equal(m.ts, Math.floor(e.ts / 10) * 10, 'fix time from RMC');
      assert.equal(m.body.acc_m, e.body.acc_m, 'acc_m = HDOP × 5 m');
      assert.equal(m.body.sats, e.body.sats);
      const fromTruth = distance([m.body.lon as number, m.body.lat as number], [e.gnss.truth.lon, e.gnss.truth.lat]);
      if (!e.gnss.outlier) assert.ok(fromTruth < 5 * (m.body.acc_m as number), `${s.tagId} fix ${i}: ${fromTruth} m from the truth, acc ${m.body.acc_m}`);
    });
  }
  assert.deepEqual(emitted.find((m) => m.type === 'tag.tamper'), { device: subjects[0]!.tagId, type: 'tag.tamper', body: { what: 'strap', active: true }, ts: undefined });
  assert.ok(emitted.some((m) => m.type === 'tag.health'));
});

test('sentences before $PVGLI, from a tag not configured, or with bad fields are counted and dropped', async () => {
  const { ctx, emitted, counts } = testContext();
  const driver = nmeaPlugin.create({ source: { kind: 'tcp-listen', port: 0 }, tags: ['tag-a'] }, ctx) as ReturnType<typeof createNmeaDriver>;
  await driver.start();
  const { connect } = await import('node:net');
  const s = connect({ host: '127.0.0.1', port: driver.port()! });
  await new Promise((r) => s.once('connect', r));
  const fix: SimEvent = {
    dev: 'tag-a',
    site: 'x',
    ts: START,
    type: 'tag.fix',
    body: { lat: 30.25, lon: 120.13, acc_m: 5, sats: 9, speed_mps: 0, src: 'gps', alt_m: 10 },
    gnss: { hdop: 1, pdop: 1.6, vdop: 1.3, prns: [1, 2, 3], truth: { lat: 30.25, lon: 120.13 }, outlier: false },
  };
  s.write(encodeEvent(fix)); // before identification: 2 positions dropped (GSA only waits)
  s.write(identify('tag-b', 'x')); // not this driver's tag
  s.write(identify('tag-a', 'x'));
  s.write(sentence('PVGLH,tag-a,180,-70,0,33,fw')); // battery out of range
  s.write(sentence('PVGLT,tag-a,lid,1')); // neither strap nor case
  s.write(sentence('GPGSV,1,1,01,01,40,083,46')); // valid, not used
  s.write(`$${'A'.repeat(400)}\r\n`);
  s.write(encodeEvent(fix));
  s.write(sentence('PVGLT,tag-a,case,1'));
  await until(() => emitted.length >= 2);
  s.end();
  await driver.stop();
  assert.deepEqual(counts, { unidentified: 2, 'unknown-tag': 1, malformed: 2, unsupported: 1, overlong: 1 });
  assert.deepEqual(emitted.map((m) => m.type), ['tag.fix', 'tag.tamper']);
  assert.deepEqual(emitted[0]!.body, { lat: 30.25, lon: 120.13, acc_m: 5, alt_m: 10, sats: 9, speed_mps: 0, src: 'gps' });
  assert.equal(emitted[0]!.ts, START);
});

const socat = (() => {
  try {
    return execFileSync('which', ['socat']).toString().trim();
  } catch {
    return null;
  }
})();

test('the driver reads a serial device (a pty pair from socat)', { skip: !socat && process.env.CI !== 'true' ? 'socat not installed' : false }, async () => {
  assert.ok(socat, 'socat is needed (installed by .ci/run)');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nmea-'));
  const a = join(dir, 'tag');
  const b = join(dir, 'agent');
  const proc = spawn(socat, ['-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  try {
    await until(() => existsSync(a) && existsSync(b), 5000);
    const { ctx, emitted } = testContext();
    const driver = createNmeaDriver({ source: { kind: 'serial', path: b, baudRate: 9600, reconnectMs: 200 } }, ctx);
    await driver.start();
    await new Promise((r) => setTimeout(r, 300));
    const built = buildTagFleet({ subjects: subjects.slice(0, 1), zones: DEMO.zones, seed: 5, startMs: START, tag: { fixIntervalMs: 5_000 } });
    const sent: SimEvent[] = [];
    const fleet = new SimFleet([built.devices[0]!], (ev) => void sent.push(ev), START);
    await fleet.runUntil(START + 30_000);
    const fd = openSync(a, 'w');
    writeSync(fd, identify(subjects[0]!.tagId, 'x') + sent.map(encodeEvent).join(''));
    closeSync(fd);
    await until(() => emitted.length >= sent.length);
    await driver.stop();
    assert.deepEqual(
      emitted.map((m) => [m.device, m.type]),
      sent.map((e) => [e.dev, e.type]),
    );
    assert.deepEqual(driver.devices(), [subjects[0]!.tagId]);
  } finally {
    proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
