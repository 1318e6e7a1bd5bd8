import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { BrokerError, createDeviceRegistry, findDevice, registerDevice, revokeDevice, verifySecret } from '@vigil/broker';
import { startTestDatabase } from './helpers.js';

let db: { pool: pg.Pool; close(): Promise<void> };

before(async () => {
  db = await startTestDatabase();
});
after(async () => {
  await db.close();
});

test('registerDevice stores only a hash; findDevice returns the record', async () => {
  await registerDevice(db.pool, { id: 'gate-1', siteId: 'prison-a', kind: 'gate', secret: 'gate-1-secret-0123456789' });
  const rec = await findDevice(db.pool, 'gate-1');
  assert.ok(rec);
  assert.deepEqual({ ...rec, secretHash: undefined }, { id: 'gate-1', siteId: 'prison-a', kind: 'gate', secretHash: undefined, revoked: false });
  assert.match(rec.secretHash, /^scrypt\$/);
  assert.ok(!rec.secretHash.includes('gate-1-secret'));
  assert.equal(await verifySecret('gate-1-secret-0123456789', rec.secretHash), true);
  assert.equal(await findDevice(db.pool, 'no-such-device'), null);
});

test('re-registering replaces the secret and lifts a revocation; revokeDevice revokes', async () => {
  await registerDevice(db.pool, { id: 'tag-9', siteId: 'prison-a', kind: 'tag', subjectId: 's-1', secret: 'first-secret-0123456789' });
  assert.equal(await revokeDevice(db.pool, 'tag-9'), true);
  assert.equal((await findDevice(db.pool, 'tag-9'))?.revoked, true);
  await registerDevice(db.pool, { id: 'tag-9', siteId: 'office-b', kind: 'tag', secret: 'second-secret-0123456789' });
  const rec = await findDevice(db.pool, 'tag-9');
  assert.equal(rec?.revoked, false);
  assert.equal(rec?.siteId, 'office-b');
  assert.equal(await verifySecret('first-secret-0123456789', rec.secretHash), false);
  assert.equal(await verifySecret('second-secret-0123456789', rec.secretHash), true);
  assert.equal(await revokeDevice(db.pool, 'no-such-device'), false);
});

test('registerDevice refuses reserved, malformed or weak registrations', async () => {
  const bad = [
    { id: 'svc-ingest', siteId: 'prison-a', kind: 'tag' as const, secret: 'x'.repeat(20) },
    { id: 'tag/1', siteId: 'prison-a', kind: 'tag' as const, secret: 'x'.repeat(20) },
    { id: 'tag-1', siteId: 'prison+a', kind: 'tag' as const, secret: 'x'.repeat(20) },
    { id: 'tag-1', siteId: 'prison-a', kind: 'phone' as 'tag', secret: 'x'.repeat(20) },
    { id: 'tag-1', siteId: 'prison-a', kind: 'tag' as const, secret: 'short' },
    { id: 'tag-1', siteId: 'no-such-site', kind: 'tag' as const, secret: 'x'.repeat(20) },
  ];
  for (const reg of bad) {
    await assert.rejects(registerDevice(db.pool, reg), (err: unknown) => err instanceof BrokerError && err.code === 'VIGIL_BROKER_REGISTRY', JSON.stringify(reg));
  }
});

test('the registry cache serves repeats from memory until its TTL ends, and shares concurrent lookups', async () => {
  let t = 1_000;
  let queries = 0;
  const counting = { query: ((...args: Parameters<pg.Pool['query']>) => (queries++, db.pool.query(...args))) as pg.Pool['query'] };
  const reg = createDeviceRegistry(counting, 2_000, () => t);
  await registerDevice(db.pool, { id: 'cam-1', siteId: 'prison-a', kind: 'camera', secret: 'cam-1-secret-0123456789' });
  await Promise.all([reg.findDevice('cam-1'), reg.findDevice('cam-1'), reg.findDevice('cam-1')]);
  assert.equal(queries, 1);
  await revokeDevice(db.pool, 'cam-1');
  assert.equal((await reg.findDevice('cam-1'))?.revoked, false); // cached
  t += 2_001;
  assert.equal((await reg.findDevice('cam-1'))?.revoked, true);
  assert.equal(queries, 2);
  reg.forget('cam-1');
  await reg.findDevice('cam-1');
  assert.equal(queries, 3);
});
