import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { IClientOptions, MqttClient } from 'mqtt';
import type pg from 'pg';
import { createCa, issueCertificate, registerDevice, serviceAccounts, startBroker, type CertificateBundle, type RunningBroker } from '@vigil/broker';
import { createLogger } from '../src/logger.js';
import { closed, collect, connectClient, nextMessage, refusalCode, startTestDatabase } from './helpers.js';

const SECRETS = { ingest: 'ingest-secret-0123456789', analytics: undefined, commandCenter: undefined };
const CERT_TAG = { id: 'tag-c1', siteId: 'prison-a', kind: 'tag' as const, secret: 'tag-c1-secret-0123456789' };
const PW_TAG = { id: 'tag-p1', siteId: 'prison-a', kind: 'tag' as const, secret: 'tag-p1-secret-0123456789' };
const WS_TAG = { id: 'tag-w1', siteId: 'prison-a', kind: 'tag' as const, secret: 'tag-w1-secret-0123456789' };

let db: { pool: pg.Pool; close(): Promise<void> };
let broker: RunningBroker;
let ingest: MqttClient;
let ca: CertificateBundle;
let deviceCert: CertificateBundle;
const open: MqttClient[] = [];

const tlsOpts = (extra: IClientOptions = {}): IClientOptions => ({ protocol: 'mqtts', ca: ca.certPem, rejectUnauthorized: true, ...extra });
const tls = async (opts: IClientOptions) => {
  const c = await connectClient(broker.tlsPort!, tlsOpts(opts));
  open.push(c);
  return c;
};

before(async () => {
  ca = createCa({ commonName: 'Vigil site prison-a CA', days: 2 });
  const server = issueCertificate(ca, { commonName: 'localhost', days: 2, serverAltNames: ['localhost', '127.0.0.1'] });
  deviceCert = issueCertificate(ca, { commonName: CERT_TAG.id, days: 2 });
  db = await startTestDatabase();
  for (const d of [CERT_TAG, PW_TAG, WS_TAG]) await registerDevice(db.pool, d);
  broker = await startBroker({
    port: 0,
    host: '127.0.0.1',
    pool: db.pool,
    services: serviceAccounts(SECRETS),
    tls: { port: 0, certPem: server.certPem, keyPem: server.keyPem, caPem: ca.certPem },
    ws: { port: 0 },
    logger: createLogger('test', 'silent'),
  });
  ingest = await connectClient(broker.port, { clientId: 'svc-ingest-tls', username: 'svc-ingest', password: SECRETS.ingest });
  open.push(ingest);
  await ingest.subscribeAsync('vigil/v1/+/+/telemetry', { qos: 1 });
});

after(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)));
  await broker.close();
  await db.close();
});

test('the broker exposes the TLS and WebSocket ports next to the TCP one', () => {
  assert.ok(broker.tlsPort! > 0 && broker.wsPort! > 0);
  assert.notEqual(broker.tlsPort, broker.port);
  assert.notEqual(broker.wsPort, broker.port);
});

test('a registered device connects over mqtts with its certificate and no password, and publishes on its own topic', async () => {
  const tag = await tls({ clientId: CERT_TAG.id, cert: deviceCert.certPem, key: deviceCert.keyPem });
  const topic = `vigil/v1/prison-a/${CERT_TAG.id}/telemetry`;
  const got = nextMessage(ingest, topic);
  await tag.publishAsync(topic, '{"cert":1}', { qos: 1 });
  assert.equal(await got, '{"cert":1}');
  await tag.endAsync();
  // a username equal to the CN is fine too; another one is refused
  const named = await tls({ clientId: `${CERT_TAG.id}-b`, username: CERT_TAG.id, cert: deviceCert.certPem, key: deviceCert.keyPem });
  await named.endAsync();
  assert.equal(await refusalCode(broker.tlsPort!, tlsOpts({ clientId: 'x1', username: PW_TAG.id, cert: deviceCert.certPem, key: deviceCert.keyPem })), 4);
});

test('a certificate from another CA gives no identity and is refused without a password', async () => {
  const other = createCa({ commonName: 'Elsewhere CA', days: 2 });
  const forged = issueCertificate(other, { commonName: CERT_TAG.id, days: 2 });
  assert.equal(await refusalCode(broker.tlsPort!, tlsOpts({ clientId: CERT_TAG.id, username: CERT_TAG.id, cert: forged.certPem, key: forged.keyPem })), 4);
  assert.equal(await refusalCode(broker.tlsPort!, tlsOpts({ clientId: CERT_TAG.id, cert: forged.certPem, key: forged.keyPem })), 4);
});

test('a site certificate for an unregistered device id is refused', async () => {
  const stranger = issueCertificate(ca, { commonName: 'tag-unregistered', days: 2 });
  assert.equal(await refusalCode(broker.tlsPort!, tlsOpts({ clientId: 'tag-unregistered', cert: stranger.certPem, key: stranger.keyPem })), 4);
});

test('a site server certificate cannot be used as a device certificate', async () => {
  const srv = issueCertificate(ca, { commonName: CERT_TAG.id, days: 2, serverAltNames: [] });
  assert.equal(await refusalCode(broker.tlsPort!, tlsOpts({ clientId: CERT_TAG.id, cert: srv.certPem, key: srv.keyPem })), 4);
});

test('a password device connects over TLS without a certificate', async () => {
  const tag = await tls({ clientId: PW_TAG.id, username: PW_TAG.id, password: PW_TAG.secret });
  const topic = `vigil/v1/prison-a/${PW_TAG.id}/telemetry`;
  const got = nextMessage(ingest, topic);
  await tag.publishAsync(topic, '{"pw":1}', { qos: 1 });
  assert.equal(await got, '{"pw":1}');
  await tag.endAsync();
  assert.equal(await refusalCode(broker.tlsPort!, tlsOpts({ clientId: PW_TAG.id, username: PW_TAG.id, password: 'wrong-secret-0123456789' })), 4);
});

test('a device connects over ws:// with id and secret, and the ACL still holds', async () => {
  const ws = { protocol: 'ws' as const, clientId: WS_TAG.id, username: WS_TAG.id, password: WS_TAG.secret };
  const own = `vigil/v1/prison-a/${WS_TAG.id}/telemetry`;
  const foreign = `vigil/v1/prison-a/${CERT_TAG.id}/telemetry`;
  const seen = collect(ingest);
  const before = broker.metrics().refusedPublish;
  // publishing under another device's topic is refused and closes the connection, as on TCP
  const spoofer = await connectClient(broker.wsPort!, ws);
  open.push(spoofer);
  spoofer.publish(foreign, '{"spoof":1}', { qos: 0 });
  await closed(spoofer);
  const tag = await connectClient(broker.wsPort!, ws);
  open.push(tag);
  const got = nextMessage(ingest, own);
  await tag.publishAsync(own, '{"ws":1}', { qos: 1 });
  assert.equal(await got, '{"ws":1}');
  // the spoof, sent before the allowed message that did arrive, was never delivered
  assert.deepEqual(seen.filter((m) => m.topic === foreign), []);
  assert.equal(broker.metrics().refusedPublish - before, 1);
  await tag.endAsync();
  assert.equal(await refusalCode(broker.wsPort!, { ...ws, password: 'wrong-secret-0123456789' }), 4);
});

test('plain TCP does not accept a certificate-only login', async () => {
  assert.equal(await refusalCode(broker.port, { clientId: CERT_TAG.id, username: CERT_TAG.id }), 4);
});
