import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PRISON, prisonGateLayout, startGateServer, type GateServer } from '@vigil/device-sim';
import type { MessageKind } from '@vigil/schemas';
import { pino } from 'pino';
import type { Driver } from '../src/index.js';
import { DoorTracker, opcuaGatePlugin, type OpcuaGateConfig } from '../src/drivers/opcua/index.js';
import { recordingContext, until } from './opcua-context.js';

const USER = { username: 'edge-agent', password: 'edge-agent-secret-1' };
const START = Date.parse('2026-03-01T08:00:00Z');
const SITE = PRISON.siteId;

describe('opcua-gate driver against the gate simulator (Basic256Sha256 SignAndEncrypt, user name)', () => {
  let dir: string;
  let server: GateServer;
  let driver: Driver;
  let rec: ReturnType<typeof recordingContext>;
  let port: number;

  const startServer = (p: number) =>
    startGateServer({ layout: prisonGateLayout(), port: p, pkiDir: join(dir, 'plc'), users: [USER], allowUnsecured: false, speed: 0, traffic: false, startMs: START, log: pino({ level: 'silent' }) });
  const config = (): OpcuaGateConfig => ({
    endpointUrl: `opc.tcp://127.0.0.1:${port}`,
    securityPolicy: 'Basic256Sha256',
    securityMode: 'SignAndEncrypt',
    username: USER.username,
    password: USER.password,
    pkiDir: join(dir, 'agent-pki'),
    serverCertificateFile: server.certificateFile,
    acceptUnknownServerCertificate: true,
    doors: PRISON.doors.map((d) => ({ id: d.id, path: `${d.area}/${d.id}` })),
    controller: 'pn-gates-plc',
    publishingIntervalMs: 50,
    reconnectMaxDelayMs: 1000,
  });
  const since = (n: number, type?: MessageKind, door?: string) => rec.emits.slice(n).filter((e) => (!type || e.type === type) && (!door || e.body.door === door));
  const lastState = (door: string) => rec.emits.filter((e) => e.type === 'gate.state' && e.body.door === door).at(-1)?.body;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-opcua-gate-'));
    server = await startServer(0);
    port = server.port;
    rec = recordingContext(SITE);
    driver = opcuaGatePlugin.create(config(), rec.ctx);
    await driver.start();
  });

  after(async () => {
    await driver?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('it connects, speaks for one device per door plus the controller, and publishes each door state once', async () => {
    assert.deepEqual([...driver.devices()].sort(), [...PRISON.doors.map((d) => d.id), 'pn-gates-plc'].sort());
    assert.equal(rec.states.at(-1)?.state, 'up');
    await until('a state for every door', () => PRISON.doors.every((d) => lastState(d.id)));
    assert.deepEqual(lastState('pn-a-main'), { door: 'pn-a-main', open: false, locked: true, forced: false, held_open: false, tamper: false, lockdown: false });
    assert.equal(rec.emits.filter((e) => e.type === 'gate.state').length, PRISON.doors.length);
    assert.equal(since(0, 'gate.alarm').length + since(0, 'gate.access').length, 0, 'nothing active, no card history re-sent');
    for (const e of rec.emits) assert.equal(e.device, e.body.door);
  });

  test('a card read becomes gate.access with the PLC time, and the door opening and shutting become gate.state', async () => {
    const n = rec.emits.length;
    await server.injector.inject('pn-a-main', 'card', { card: 'P-2001', direction: 'in' });
    await until('gate.access', () => since(n, 'gate.access').length === 1);
    const access = since(n, 'gate.access')[0]!;
    assert.deepEqual(access.body, { door: 'pn-a-main', card: 'P-2001', direction: 'in', granted: true, reason: 'granted' });
    assert.equal(access.device, 'pn-a-main');
    assert.equal(access.ts, START);
    server.clock.advance(1500);
    await until('door open', () => lastState('pn-a-main')?.open === true);
    server.clock.advance(5000);
    await until('door shut', () => lastState('pn-a-main')?.open === false);
    await server.injector.inject('pn-a-main', 'card', { card: 'X-9999', direction: 'in' });
    await until('denied access', () => since(n, 'gate.access').length === 2);
    assert.deepEqual(since(n, 'gate.access')[1]!.body, { door: 'pn-a-main', card: 'X-9999', direction: 'in', granted: false, reason: 'unknown_card' });
  });

  test('a forced door raises gate.alarm forced active, and clears it when the door shuts', async () => {
    const n = rec.emits.length;
    await server.injector.inject('pn-gate-vehicle', 'forced', { durationS: 10 });
    await until('forced alarm', () => since(n, 'gate.alarm', 'pn-gate-vehicle').length === 1);
    assert.deepEqual(since(n, 'gate.alarm', 'pn-gate-vehicle')[0]!.body, { door: 'pn-gate-vehicle', alarm: 'forced', active: true });
    await until('forced state', () => lastState('pn-gate-vehicle')?.forced === true && lastState('pn-gate-vehicle')?.open === true);
    server.clock.advance(10_000);
    await until('alarm cleared', () => since(n, 'gate.alarm', 'pn-gate-vehicle').length === 2);
    assert.deepEqual(since(n, 'gate.alarm', 'pn-gate-vehicle')[1]!.body, { door: 'pn-gate-vehicle', alarm: 'forced', active: false });
  });

  test('held open, anti-passback, tamper and repeated denials each raise their gate.alarm', async () => {
    const n = rec.emits.length;
    await server.injector.inject('pn-yard-gate', 'held_open', { durationS: 0 });
    await server.injector.inject('pn-admin-inner', 'anti_passback', { card: 'O-1003' });
    await server.injector.inject('pn-admin-visit', 'tamper', {});
    await server.injector.inject('pn-gate-staff', 'denials', { count: 3 });
    const alarms = () => since(n, 'gate.alarm').map((e) => `${String(e.body.door)}:${String(e.body.alarm)}:${String(e.body.active)}`);
    await until('four alarms', () => alarms().length >= 4);
    assert.deepEqual(alarms().sort(), ['pn-admin-inner:anti_passback:true', 'pn-admin-visit:tamper:true', 'pn-gate-staff:denied_repeatedly:true', 'pn-yard-gate:held_open:true']);
    await until('every denied read published', () => since(n, 'gate.access', 'pn-gate-staff').length === 3);
    const ap = since(n, 'gate.access', 'pn-admin-inner').map((e) => e.body.reason);
    assert.deepEqual(ap, ['granted', 'anti_passback'], 'both reads of the card arrive, in order');
    await server.injector.inject('pn-admin-visit', 'tamper', { active: false });
    await server.injector.inject('pn-yard-gate', 'close', {});
    await until('tamper cleared', () => alarms().includes('pn-admin-visit:tamper:false') && alarms().includes('pn-yard-gate:held_open:false'));
  });

  test('lock, unlock, lockdown and release call the PLC and report the outcome', async () => {
    const unlock = await driver.command!('pn-b-main', 'unlock', {});
    assert.equal(unlock.status, 'ok', unlock.detail);
    assert.deepEqual(unlock.result, { door: 'pn-b-main', locked: false });
    await until('unlocked state', () => lastState('pn-b-main')?.locked === false);
    const lock = await driver.command!('pn-b-main', 'lock', {});
    assert.deepEqual([lock.status, lock.result], ['ok', { door: 'pn-b-main', locked: true }]);
    assert.equal(server.model.door('pn-b-main').locked, true);
    await until('locked state', () => lastState('pn-b-main')?.locked === true);

    const down = await driver.command!('pn-b-yard', 'lockdown', {});
    assert.deepEqual([down.status, down.result], ['ok', { scope: 'area', doors: 2 }]);
    await until('lockdown state', () => lastState('pn-b-main')?.lockdown === true && lastState('pn-b-yard')?.lockdown === true);
    assert.equal(lastState('pn-a-main')?.lockdown, false);
    const refused = await driver.command!('pn-b-main', 'unlock', {});
    assert.equal(refused.status, 'refused');
    assert.match(refused.detail!, /BadInvalidState/);
    assert.equal((await driver.command!('pn-b-main', 'release', {})).status, 'ok');
    await until('released', () => lastState('pn-b-main')?.lockdown === false);

    const site = await driver.command!('pn-gates-plc', 'lockdown', {});
    assert.deepEqual([site.status, site.result], ['ok', { scope: 'site', doors: PRISON.doors.length }]);
    assert.ok(PRISON.doors.every((d) => server.model.door(d.id).lockdown));
    assert.equal((await driver.command!('pn-a-main', 'release', { scope: 'site' })).status, 'ok');
    assert.ok(PRISON.doors.every((d) => !server.model.door(d.id).lockdown));

    assert.equal((await driver.command!('pn-a-main', 'explode', {})).status, 'refused');
    assert.equal((await driver.command!('pn-a-main', 'lockdown', { scope: 'planet' })).status, 'refused');
    assert.equal((await driver.command!('pn-gates-plc', 'lock', {})).status, 'refused');
    assert.equal((await driver.command!('nobody', 'lock', {})).status, 'refused');
  });

  test('after the PLC restarts on the same port the driver reconnects, re-subscribes and publishes new events', async () => {
    await server.stop();
    await until('driver down', () => rec.states.at(-1)?.state === 'down');
    const offline = await driver.command!('pn-a-main', 'lock', {});
    assert.deepEqual(offline.status, 'error');
    const n = rec.emits.length;
    server = await startServer(port);
    assert.equal(server.port, port);
    await until('driver up again', () => rec.states.at(-1)?.state === 'up');
    await server.injector.inject('pn-b-yard', 'card', { card: 'P-2006', direction: 'out' });
    await until('access after restart', () => since(n, 'gate.access').length === 1);
    assert.deepEqual(since(n, 'gate.access')[0]!.body, { door: 'pn-b-yard', card: 'P-2006', direction: 'out', granted: true, reason: 'granted' });
    await server.injector.inject('pn-a-yard', 'forced', { durationS: 0 });
    await until('alarm after restart', () => since(n, 'gate.alarm', 'pn-a-yard').some((e) => e.body.active === true));
    const lock = await driver.command!('pn-a-yard', 'unlock', {});
    assert.equal(lock.status, 'ok');
  });
});

describe('opcua-gate driver refusals', () => {
  test('a wrong password or an untrusted server certificate leaves the driver down with the reason, retrying', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-opcua-gate-bad-'));
    const server = await startGateServer({ layout: prisonGateLayout(), port: 0, pkiDir: join(dir, 'plc'), users: [USER], speed: 0, traffic: false, log: pino({ level: 'silent' }) });
    try {
      const base: OpcuaGateConfig = {
        endpointUrl: server.endpointUrl,
        username: USER.username,
        password: 'wrong-password',
        pkiDir: join(dir, 'agent-pki'),
        acceptUnknownServerCertificate: true,
        doors: [{ id: 'pn-a-main', path: 'pn-block-a/pn-a-main' }],
        reconnectMaxDelayMs: 5000,
      };
      const untrusted: OpcuaGateConfig = { ...base, password: USER.password, acceptUnknownServerCertificate: false, pkiDir: join(dir, 'agent-pki-2') };
      for (const cfg of [base, untrusted]) {
        const rec = recordingContext(SITE);
        const d = opcuaGatePlugin.create(cfg, rec.ctx);
        await d.start();
        assert.equal(rec.states.at(-1)?.state, 'down', JSON.stringify(rec.states));
        assert.match(rec.states.at(-1)!.detail!, cfg === base ? /BadUserAccessDenied/ : /BadCertificateUntrusted/);
        assert.equal(rec.emits.length, 0);
        assert.equal((await d.command!('pn-a-main', 'lock', {})).status, 'error');
        await d.stop();
      }
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DoorTracker (the value-to-message mapping)', () => {
  test('a LastCard that is not JSON or breaks the gate.access schema is dropped and counted, never published', () => {
    const t = new DoorTracker('d1');
    assert.deepEqual(t.update('lastCard', '', undefined), [], 'no read yet');
    assert.deepEqual(t.update('lastCard', '{oops', undefined).map((o) => o.type), ['bad']);
    const tooLong = JSON.stringify({ seq: 2, card: 'x'.repeat(65), direction: 'in', granted: true, reason: 'granted', time: '2026-03-01T08:00:00Z' });
    const out = t.update('lastCard', tooLong, undefined);
    assert.equal(out[0]!.type, 'bad');
    assert.match((out[0] as { detail: string }).detail, /card/);
    const ok = t.update('lastCard', JSON.stringify({ seq: 3, card: 'C1', direction: 'out', granted: false, reason: 'lockdown', time: '2026-03-01T08:00:01Z' }), undefined);
    assert.deepEqual(ok, [{ type: 'gate.access', body: { door: 'd1', card: 'C1', direction: 'out', granted: false, reason: 'lockdown' }, ts: Date.parse('2026-03-01T08:00:01Z') }]);
  });

  test('the read already on the PLC at first sight is history; alarms on first sight only when active; state once all parts are known', () => {
    const t = new DoorTracker('d2');
    assert.deepEqual(t.update('lastCard', JSON.stringify({ seq: 9, card: 'C9', granted: true, time: '2026-03-01T07:00:00Z' }), undefined), []);
    assert.deepEqual(t.update('forced', false, undefined), []);
    assert.deepEqual(t.update('tamper', true, 1_800_000_000_000), [{ type: 'gate.alarm', body: { door: 'd2', alarm: 'tamper', active: true }, ts: 1_800_000_000_000 }]);
    assert.deepEqual(t.flush(), [], 'state incomplete');
    t.update('state', true, undefined);
    for (const f of ['locked', 'heldOpen', 'lockdown'] as const) t.update(f, false, undefined);
    assert.deepEqual(t.flush(), [{ type: 'gate.state', body: { door: 'd2', open: true, locked: false, forced: false, held_open: false, tamper: true, lockdown: false }, ts: 1_800_000_000_000 }]);
    assert.deepEqual(t.flush(), [], 'sent once, then nothing until a change');
    assert.deepEqual(t.update('state', 'sideways', undefined)[0]!.type, 'bad');
  });
});
