import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { registerDevice, rotateDeviceSecret, startBroker, type RunningBroker } from '@vigil/broker';
import { closed, connectClient, refusalCode, startTestDatabase } from './helpers.js';

let db: { pool: pg.Pool; close(): Promise<void> };
let broker: RunningBroker;
const TAG = { id: 'tag-rot', siteId: 'office-b', kind: 'tag' as const };
const OLD = 'old-secret-0123456789';
const NEW = 'new-secret-9876543210';
const login = (secret: string) => ({ clientId: TAG.id, username: TAG.id, password: secret });

before(async () => {
  db = await startTestDatabase();
  await registerDevice(db.pool, { ...TAG, secret: OLD });
  broker = await startBroker({ port: 0, pool: db.pool, services: [], revocationPollMs: 200 });
});

after(async () => {
  await broker?.close();
  await db?.close();
});

test('rotating a secret disconnects the session opened with the old one; the old secret is refused, the new one kept', async () => {
  const session = await connectClient(broker.port, login(OLD));
  assert.equal(await rotateDeviceSecret(db.pool, TAG.id, NEW), true);
  await closed(session, 15_000);
  assert.equal(await refusalCode(broker.port, login(OLD)), 4);
  const fresh = await connectClient(broker.port, login(NEW));
  // Several watch cycles later the session opened with the new secret is still up.
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(fresh.connected, true);
  await fresh.endAsync();
});

test('rotating an unknown device reports it; a short secret is refused', async () => {
  assert.equal(await rotateDeviceSecret(db.pool, 'tag-none', NEW), false);
  await assert.rejects(rotateDeviceSecret(db.pool, TAG.id, 'short'), /at least 16 characters/);
});
