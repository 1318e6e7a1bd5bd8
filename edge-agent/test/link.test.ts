import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createCa, issueCertificate, registerDevice, serviceAccounts, startBroker } from '@vigil/broker';
import { createLogger, readCredentials, startAgent, validateConfig } from '../src/index.js';
import { AGENT_SECRET, connectClient, SECRETS, SITE, startRegistry, startTestBroker, until, type Received } from './helpers.js';
import { probePlugin, probes } from './plugins.js';

test('the agent connects over mqtts with a client certificate (mTLS, no password) and forwards', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-edge-tls-'));
  const db = await startRegistry('edge-t', ['tag-t']);
  const ca = createCa({ commonName: 'Vigil site prison-a CA', days: 2 });
  const server = issueCertificate(ca, { commonName: 'localhost', days: 2, serverAltNames: ['localhost', '127.0.0.1'] });
  const client = issueCertificate(ca, { commonName: 'edge-t', days: 2 });
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'agent.pem'), client.certPem);
  writeFileSync(join(dir, 'agent.key'), client.keyPem);
  const broker = await startBroker({
    port: 0,
    host: '127.0.0.1',
    pool: db.pool,
    services: serviceAccounts(SECRETS),
    tls: { port: 0, certPem: server.certPem, keyPem: server.keyPem, caPem: ca.certPem },
    revocationPollMs: 0,
    logger: createLogger('broker', 'silent'),
  });
  const sub = await connectClient(broker.port, { clientId: 'svc-ingest-tls', username: 'svc-ingest', password: SECRETS.ingest });
  const got: Received[] = [];
  sub.on('message', (_t, p) => got.push(JSON.parse(p.toString()) as Received));
  await sub.subscribeAsync(`vigil/v1/${SITE}/+/telemetry`, { qos: 1 });
  const config = validateConfig(
    {
      site: SITE,
      agent_id: 'edge-t',
      broker: { url: `mqtts://127.0.0.1:${broker.tlsPort}`, tls: { ca_file: join(dir, 'ca.pem'), cert_file: join(dir, 'agent.pem'), key_file: join(dir, 'agent.key') } },
      drivers: [{ name: 'probe-t', type: 'probe', config: { devices: ['tag-t'] } }],
    },
    [probePlugin],
  );
  const credentials = readCredentials(config, undefined);
  assert.equal(credentials.secret, undefined);
  const agent = await startAgent({ config, dataDir: dir, plugins: [probePlugin], credentials, log: createLogger('agent', 'silent') });
  try {
    await probes.get('probe-t')!.ctx.emit('tag-t', 'tag.health', { battery_pct: 42 });
    await until(() => got.length === 1, 10_000, () => 'nothing arrived over mTLS');
    assert.equal(got[0]!.dev, 'tag-t');
    assert.equal(got[0]!.body.battery_pct, 42);
  } finally {
    await agent.stop();
    await sub.endAsync(true);
    await broker.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad body is refused at emit naming the field; a full queue drops telemetry, logs which and how many, and publishes dropped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-edge-drop-'));
  const db = await startRegistry('edge-d', ['tag-d1']);
  const broker = await startTestBroker(db.pool);
  const sub = await connectClient(broker.port, { clientId: 'svc-ingest-drop', username: 'svc-ingest', password: SECRETS.ingest });
  const dropped: number[] = [];
  sub.on('message', (_t, p) => {
    const m = JSON.parse(p.toString()) as Received;
    if (m.type === 'agent.status' && typeof m.body.dropped === 'number') dropped.push(m.body.dropped);
  });
  await sub.subscribeAsync(`vigil/v1/${SITE}/edge-d/status`, { qos: 1 });
  const lines: { msg: string; dropped?: number; byPriority?: Record<string, number>; byDevice?: Record<string, number> }[] = [];
  const log = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]), cb()) }));
  // forwarding at 1 message a second: the queue fills up behind it
  const config = validateConfig(
    {
      site: SITE,
      agent_id: 'edge-d',
      broker: { url: `mqtt://127.0.0.1:${broker.port}`, max_publish_rate: 1 },
      queue: { max_messages: 1_000 },
      drivers: [{ name: 'probe-d', type: 'probe', config: { devices: ['tag-d1'] } }],
    },
    [probePlugin],
  );
  const agent = await startAgent({ config, dataDir: dir, plugins: [probePlugin], credentials: { secret: AGENT_SECRET }, log });
  try {
    const ctx = probes.get('probe-d')!.ctx;
    await assert.rejects(ctx.emit('tag-d1', 'tag.health', { battery_pct: 140 }), /tag\.health from tag-d1: body\/battery_pct/);
    await until(() => agent.client.connected, 10_000, () => 'not connected');
    await Promise.all(Array.from({ length: 1_500 }, (_, i) => ctx.emit('tag-d1', 'tag.health', { battery_pct: i % 100 })));
    assert.ok(agent.queueDepth() <= 1_000);
    const warn = lines.find((l) => /queue full: dropped/.test(l.msg));
    assert.ok(warn !== undefined, 'a warning names the drop');
    assert.ok(warn.dropped! >= 500 - 1, `dropped ${warn.dropped}`);
    assert.deepEqual(Object.keys(warn.byPriority!), ['telemetry']);
    assert.deepEqual(Object.keys(warn.byDevice!), ['tag-d1']);
    await until(() => dropped.some((d) => d >= 500 - 1), 5_000, () => `status dropped counts seen: ${dropped.join(',')}`);
  } finally {
    await agent.stop();
    await sub.endAsync(true);
    await broker.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('messages of a device not registered behind the agent are dropped with an error, and the others still flow', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-edge-acl-'));
  const db = await startRegistry('edge-s', ['tag-ok']);
  await registerDevice(db.pool, { id: 'tag-stranger', siteId: SITE, kind: 'tag', secret: 'tag-stranger-secret-0123' });
  const broker = await startTestBroker(db.pool);
  const sub = await connectClient(broker.port, { clientId: 'svc-ingest-acl', username: 'svc-ingest', password: SECRETS.ingest });
  const got: Received[] = [];
  sub.on('message', (_t, p) => got.push(JSON.parse(p.toString()) as Received));
  await sub.subscribeAsync(`vigil/v1/${SITE}/+/telemetry`, { qos: 1 });
  const lines: { msg: string; refused?: string[]; device?: string }[] = [];
  const log = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]), cb()) }));
  const config = validateConfig(
    { site: SITE, agent_id: 'edge-s', broker: { url: `mqtt://127.0.0.1:${broker.port}` }, drivers: [{ name: 'probe-s', type: 'probe', config: { devices: ['tag-ok', 'tag-stranger'] } }] },
    [probePlugin],
  );
  const agent = await startAgent({ config, dataDir: dir, plugins: [probePlugin], credentials: { secret: AGENT_SECRET }, log });
  let closes = 0;
  agent.client.on('close', () => closes++);
  try {
    const ctx = probes.get('probe-s')!.ctx;
    await Promise.all(Array.from({ length: 40 }, (_, i) => ctx.emit(i % 2 === 0 ? 'tag-ok' : 'tag-stranger', 'tag.health', { battery_pct: i })));
    await until(() => got.length >= 20 && agent.queueDepth() === 0, 10_000, () => `${got.length} arrived, depth ${agent.queueDepth()}`);
    assert.ok(got.every((m) => m.dev === 'tag-ok'));
    assert.deepEqual(got.map((m) => m.seq), Array.from({ length: 20 }, (_, i) => i));
    assert.ok(lines.some((l) => l.refused?.includes('tag-stranger')), 'the refusal is logged at subscribe');
    assert.ok(lines.some((l) => l.device === 'tag-stranger' && /dropped/.test(l.msg)), 'the drop is logged');
    assert.equal(closes, 0, 'never disconnected by the broker');
  } finally {
    await agent.stop();
    await sub.endAsync(true);
    await broker.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
