import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { registerDevice, revokeDevice, startBroker, type RunningBroker } from '@vigil/broker';
import { createAuthCache } from '../src/auth-cache.js';
import { createLogger } from '../src/logger.js';
import { connectClient, refusalCode, startTestDatabase } from './helpers.js';

/** A stand-in for scrypt that counts its calls; `good` is the one secret it accepts per hash. */
function slow(good: Record<string, string>) {
  const calls: string[] = [];
  const verify = async (secret: string, hash: string) => {
    calls.push(secret);
    return good[hash] === secret;
  };
  return { calls, verify };
}

describe('createAuthCache', () => {
  test('a second check of the same id, secret and stored hash skips the slow verify', async () => {
    const cache = createAuthCache();
    const s = slow({ h1: 'right' });
    assert.equal(await cache.verify('tag-1', 'right', 'h1', s.verify), true);
    assert.equal(await cache.verify('tag-1', 'right', 'h1', s.verify), true);
    assert.deepEqual(s.calls, ['right']);
  });

  test('a wrong secret always pays for the slow verify and is never remembered', async () => {
    const cache = createAuthCache();
    const s = slow({ h1: 'right' });
    await cache.verify('tag-1', 'right', 'h1', s.verify);
    assert.equal(await cache.verify('tag-1', 'wrong', 'h1', s.verify), false);
    assert.equal(await cache.verify('tag-1', 'wrong', 'h1', s.verify), false);
    assert.deepEqual(s.calls, ['right', 'wrong', 'wrong']);
    // the wrong guesses did not evict the device's entry
    assert.equal(await cache.verify('tag-1', 'right', 'h1', s.verify), true);
    assert.equal(s.calls.length, 3);
  });

  test('a rotated secret (new stored hash) misses, so the old secret is checked against the new hash', async () => {
    const cache = createAuthCache();
    const s = slow({ h1: 'old', h2: 'new' });
    await cache.verify('tag-1', 'old', 'h1', s.verify);
    assert.equal(await cache.verify('tag-1', 'old', 'h2', s.verify), false);
    assert.equal(await cache.verify('tag-1', 'new', 'h2', s.verify), true);
    assert.deepEqual(s.calls, ['old', 'old', 'new']);
  });

  test('an entry is not shared between device ids', async () => {
    const cache = createAuthCache();
    const s = slow({ h1: 'same' });
    await cache.verify('tag-1', 'same', 'h1', s.verify);
    await cache.verify('tag-2', 'same', 'h1', s.verify);
    assert.equal(s.calls.length, 2);
  });

  test('entries expire after ttlMs, counted from the last slow verify', async () => {
    let t = 0;
    const cache = createAuthCache({ ttlMs: 1_000, now: () => t });
    const s = slow({ h1: 'right' });
    await cache.verify('tag-1', 'right', 'h1', s.verify);
    t = 999;
    await cache.verify('tag-1', 'right', 'h1', s.verify);
    assert.equal(s.calls.length, 1);
    t = 1_000;
    await cache.verify('tag-1', 'right', 'h1', s.verify);
    assert.equal(s.calls.length, 2);
  });

  test('forget drops an entry; ttlMs 0 disables the cache', async () => {
    const cache = createAuthCache();
    const s = slow({ h1: 'right' });
    await cache.verify('tag-1', 'right', 'h1', s.verify);
    cache.forget('tag-1');
    assert.equal(cache.size, 0);
    await cache.verify('tag-1', 'right', 'h1', s.verify);
    assert.equal(s.calls.length, 2);
    const off = createAuthCache({ ttlMs: 0 });
    await off.verify('tag-1', 'right', 'h1', s.verify);
    await off.verify('tag-1', 'right', 'h1', s.verify);
    assert.equal(s.calls.length, 4);
    assert.equal(off.size, 0);
  });

  test('holds at most maxEntries devices, dropping the oldest', async () => {
    const cache = createAuthCache({ maxEntries: 2 });
    const s = slow({ h: 'x' });
    for (const id of ['a', 'b', 'c']) await cache.verify(id, 'x', 'h', s.verify);
    assert.equal(cache.size, 2);
    await cache.verify('c', 'x', 'h', s.verify);
    assert.equal(s.calls.length, 3);
    await cache.verify('a', 'x', 'h', s.verify);
    assert.equal(s.calls.length, 4);
  });
});

describe('the broker with the credential cache', () => {
  const TAG = { id: 'cache-1', siteId: 'prison-a', kind: 'tag' as const, secret: 'cache-1-secret-0123456789' };
  let db: { pool: pg.Pool; close(): Promise<void> };
  let broker: RunningBroker;
  const creds = (secret: string) => ({ clientId: TAG.id, username: TAG.id, password: secret });

  before(async () => {
    db = await startTestDatabase();
    await registerDevice(db.pool, TAG);
    // no registry cache, so a rotation or revocation is seen on the next CONNECT
    broker = await startBroker({ port: 0, pool: db.pool, services: [], registryCacheTtlMs: 0, revocationPollMs: 0, logger: createLogger('test', 'silent') });
  });

  after(async () => {
    await broker.close();
    await db.close();
  });

  test('reconnects pass with the cache in place; a rotated secret replaces the cached one at once', async () => {
    for (let i = 0; i < 2; i++) await (await connectClient(broker.port, creds(TAG.secret))).endAsync();
    await registerDevice(db.pool, { ...TAG, secret: 'cache-1-rotated-0123456789' });
    assert.equal(await refusalCode(broker.port, creds(TAG.secret)), 4);
    assert.equal(await refusalCode(broker.port, creds('cache-1-rotated-0123456789')), 0);
  });

  test('a revoked device is refused although its credential was cached', async () => {
    const secret = 'cache-1-rotated-0123456789';
    assert.equal(await refusalCode(broker.port, creds(secret)), 0);
    await revokeDevice(db.pool, TAG.id);
    assert.equal(await refusalCode(broker.port, creds(secret)), 4);
    // re-registering lifts the revocation; the cache entry was dropped, so this is a full check again
    await registerDevice(db.pool, { ...TAG, secret });
    assert.equal(await refusalCode(broker.port, creds(secret)), 0);
  });
});
