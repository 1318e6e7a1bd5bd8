import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  AttributeIds,
  BrowseDirection,
  MessageSecurityMode,
  NodeClass,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  UserTokenType,
  type ClientSession,
} from 'node-opcua';
import { pino } from 'pino';
import { GATES_NAMESPACE_URI, PRISON, prisonGateLayout, startGateServer, type GateServer } from '../src/index.js';

const USER = { username: 'operator', password: 'operator-secret-1' };
const START = Date.parse('2026-03-01T08:00:00Z');

describe('gate simulator over OPC UA (Basic256Sha256, SignAndEncrypt, user name)', () => {
  let dir: string;
  let server: GateServer;
  let client: OPCUAClient;
  let session: ClientSession;
  let ns: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-gates-'));
    server = await startGateServer({ layout: prisonGateLayout(), port: 0, pkiDir: dir, users: [USER], speed: 0, traffic: false, startMs: START, log: pino({ level: 'silent' }) });
    client = OPCUAClient.create({
      applicationName: 'vigil-gates-test',
      securityPolicy: SecurityPolicy.Basic256Sha256,
      securityMode: MessageSecurityMode.SignAndEncrypt,
      clientCertificateManager: new OPCUACertificateManager({ rootFolder: join(dir, 'client'), automaticallyAcceptUnknownCertificate: true }),
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0 },
    });
    await client.connect(server.endpointUrl);
    session = await client.createSession({ type: UserTokenType.UserName, userName: USER.username, password: USER.password });
    const nsArray = (await session.readNamespaceArray()) as string[];
    ns = nsArray.indexOf(GATES_NAMESPACE_URI);
  });

  after(async () => {
    await session?.close();
    await client?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const id = (s: string) => `ns=${ns};s=${s}`;
  const read = async (s: string) => (await session.read({ nodeId: id(s), attributeId: AttributeIds.Value })).value.value as unknown;
  const call = (object: string, method: string) => session.call({ objectId: id(object), methodId: id(`${object}.${method}`), inputArguments: [] });

  test('the namespace is published and browsing Objects/Gates finds every area and every door with its variables and methods', async () => {
    assert.ok(ns > 0, 'namespace registered');
    const objects = await session.browse('ObjectsFolder');
    const gates = objects.references!.find((r) => r.browseName.name === 'Gates');
    assert.ok(gates, 'Objects/Gates');
    const areas = await session.browse({ nodeId: gates.nodeId, browseDirection: BrowseDirection.Forward, nodeClassMask: NodeClass.Object, resultMask: 63 });
    assert.deepEqual(areas.references!.map((r) => r.browseName.name).sort(), PRISON.areas.map((a) => a.id).sort());
    const found: string[] = [];
    for (const a of areas.references!) {
      const doors = await session.browse({ nodeId: a.nodeId, browseDirection: BrowseDirection.Forward, nodeClassMask: NodeClass.Object, resultMask: 63 });
      for (const d of doors.references!) {
        found.push(d.browseName.name!);
        const children = await session.browse(d.nodeId.toString());
        const names = children.references!.map((r) => r.browseName.name).sort();
        assert.deepEqual(names, ['AntiPassback', 'DeniedRepeatedly', 'Forced', 'HeldOpen', 'LastCard', 'Lock', 'LockdownActive', 'Locked', 'State', 'Tamper', 'Unlock']);
      }
    }
    assert.deepEqual(found.sort(), PRISON.doors.map((d) => d.id).sort());
    assert.equal(await read('pn-a-main.State'), 'closed');
    assert.equal(await read('pn-a-main.Locked'), true);
  });

  test('anonymous and wrong-password sessions are refused', async () => {
    await assert.rejects(client.createSession());
    await assert.rejects(client.createSession({ type: UserTokenType.UserName, userName: USER.username, password: 'wrong' }));
  });

  test('Unlock and Lock change Locked; an area Lockdown locks its doors and refuses Unlock until Release', async () => {
    assert.equal((await call('pn-b-main', 'Unlock')).statusCode, StatusCodes.Good);
    assert.equal(await read('pn-b-main.Locked'), false);
    assert.equal((await call('pn-b-main', 'Lock')).statusCode, StatusCodes.Good);
    assert.equal(await read('pn-b-main.Locked'), true);
    await call('pn-b-yard', 'Unlock');
    const down = await call('pn-block-b', 'Lockdown');
    assert.equal(down.statusCode, StatusCodes.Good);
    assert.equal(down.outputArguments![0]!.value, 2);
    assert.equal(await read('pn-b-yard.Locked'), true);
    assert.equal(await read('pn-b-yard.LockdownActive'), true);
    assert.equal(await read('pn-block-b.LockdownActive'), true);
    assert.equal((await call('pn-b-yard', 'Unlock')).statusCode, StatusCodes.BadInvalidState);
    await server.injector.inject('pn-b-main', 'card', { card: 'O-1001', direction: 'in' });
    assert.equal(JSON.parse((await read('pn-b-main.LastCard')) as string).reason, 'lockdown');
    assert.equal(await read('pn-a-main.LockdownActive'), false, 'other blocks unaffected');
    assert.equal((await call('pn-block-b', 'Release')).statusCode, StatusCodes.Good);
    assert.equal(await read('pn-b-yard.LockdownActive'), false);
    assert.equal((await call('pn-b-yard', 'Unlock')).statusCode, StatusCodes.Good);
    const site = await call(PRISON.siteId, 'Lockdown');
    assert.equal(site.outputArguments![0]!.value, PRISON.doors.length);
    await call(PRISON.siteId, 'Release');
  });

  test('a card read shows up in LastCard and the door opens and shuts as the person walks through', async () => {
    await server.injector.inject('pn-a-main', 'card', { card: 'P-2001', direction: 'in' });
    const read1 = JSON.parse((await read('pn-a-main.LastCard')) as string);
    assert.deepEqual({ card: read1.card, direction: read1.direction, granted: read1.granted, reason: read1.reason }, { card: 'P-2001', direction: 'in', granted: true, reason: 'granted' });
    assert.equal(read1.time, new Date(START).toISOString());
    server.clock.advance(1500);
    assert.equal(await read('pn-a-main.State'), 'open');
    assert.equal(await read('pn-a-main.Forced'), false, 'a granted opening is not forced');
    server.clock.advance(5000);
    assert.equal(await read('pn-a-main.State'), 'closed');
    await server.injector.inject('pn-a-main', 'card', { card: 'P-2005', direction: 'in' });
    assert.equal(JSON.parse((await read('pn-a-main.LastCard')) as string).reason, 'not_authorised');
  });

  test('an injected forced door is seen by a subscribed client, and clears when the door shuts', async () => {
    const sub = await session.createSubscription2({ requestedPublishingInterval: 50, publishingEnabled: true, requestedLifetimeCount: 100, requestedMaxKeepAliveCount: 10 });
    const seen: boolean[] = [];
    const item = await sub.monitor({ nodeId: id('pn-gate-vehicle.Forced'), attributeId: AttributeIds.Value }, { samplingInterval: 0, queueSize: 10 }, 2);
    item.on('changed', (dv) => seen.push(dv.value.value as boolean));
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(pred(), `saw ${JSON.stringify(seen)}`);
    };
    await until(() => seen.length === 1);
    await server.injector.inject('pn-gate-vehicle', 'forced', { durationS: 10 });
    await until(() => seen.length === 2);
    assert.equal(await read('pn-gate-vehicle.State'), 'open');
    server.clock.advance(10_000);
    await until(() => seen.length === 3);
    assert.deepEqual(seen, [false, true, false]);
    await sub.terminate();
  });

  test('held open, anti-passback, tamper and repeated denials set their variables', async () => {
    await server.injector.inject('pn-yard-gate', 'held_open', { durationS: 20 });
    assert.equal(await read('pn-yard-gate.HeldOpen'), true);
    assert.equal(await read('pn-yard-gate.Forced'), false);
    server.clock.advance(20_000);
    assert.equal(await read('pn-yard-gate.HeldOpen'), false);

    await server.injector.inject('pn-admin-inner', 'anti_passback', { card: 'O-1002' });
    const last = JSON.parse((await read('pn-admin-inner.LastCard')) as string);
    assert.deepEqual([last.card, last.granted, last.reason], ['O-1002', false, 'anti_passback']);
    assert.equal(await read('pn-admin-inner.AntiPassback'), true);

    await server.injector.inject('pn-admin-visit', 'tamper', {});
    assert.equal(await read('pn-admin-visit.Tamper'), true);
    await server.injector.inject('pn-admin-visit', 'tamper', { active: false });
    assert.equal(await read('pn-admin-visit.Tamper'), false);

    await server.injector.inject('pn-gate-staff', 'denials', { count: 3 });
    assert.equal(await read('pn-gate-staff.DeniedRepeatedly'), true);
    await assert.rejects(server.injector.inject('pn-gate-staff', 'explode', {}), /unknown gate action/);
    await assert.rejects(server.injector.inject('no-such-door', 'forced', {}), /unknown door/);
    await assert.rejects(server.injector.inject('pn-gate-staff', 'forced', { durationS: 'long' }), /args\.durationS/);
  });
});

describe('vigil-sim gates (the CLI)', () => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const run = (args: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, 'gates', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, exited, out: () => out, err: () => err };
  };

  test('a bad setting exits 78 naming it', async () => {
    const short = run(['--port', '0', '--password', 'short']);
    assert.equal(await short.exited, 78);
    assert.match(short.err(), /--password: must be at least 12 characters/);
    const port = run(['--port', 'x'], { VIGIL_SIM_GATES_PASSWORD: 'long-enough-password' });
    assert.equal(await port.exited, 78);
    assert.match(port.err(), /--port: must be a number/);
  });

  test('it serves the prison doors until SIGTERM, then exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-gates-cli-'));
    const p = run(['--port', '0', '--pki', dir, '--no-traffic'], { VIGIL_SIM_GATES_PASSWORD: 'long-enough-password' });
    try {
      for (let i = 0; i < 300 && !/VIGIL_SIM_GATES_READY/.test(p.out()); i++) await new Promise((r) => setTimeout(r, 50));
      const port = Number(/VIGIL_SIM_GATES_READY opc\.tcp:\/\/localhost:(\d+)/.exec(p.out())?.[1]);
      assert.ok(port > 0, p.out() + p.err());
      const c = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
      await c.connect(`opc.tcp://127.0.0.1:${port}`);
      const s = await c.createSession({ type: UserTokenType.UserName, userName: 'operator', password: 'long-enough-password' });
      const objects = await s.browse('ObjectsFolder');
      assert.ok(objects.references!.some((r) => r.browseName.name === 'Gates'));
      await s.close();
      await c.disconnect();
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0);
    } finally {
      p.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
