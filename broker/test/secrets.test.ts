import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerError, generateSecret, hashSecret, verifySecret } from '@vigil/broker';

test('hashSecret encodes scrypt$N$r$p$salt$hash and verifySecret accepts the secret', async () => {
  const hash = await hashSecret('correct horse battery staple');
  const parts = hash.split('$');
  assert.equal(parts.length, 6);
  assert.deepEqual(parts.slice(0, 4), ['scrypt', String(2 ** 15), '8', '1']);
  assert.equal(Buffer.from(parts[4]!, 'base64').length, 16);
  assert.equal(Buffer.from(parts[5]!, 'base64').length, 32);
  assert.equal(await verifySecret('correct horse battery staple', hash), true);
});

test('verifySecret refuses a wrong or near-miss secret', async () => {
  const hash = await hashSecret('s3cret-s3cret-s3cret');
  assert.equal(await verifySecret('s3cret-s3cret-s3creT', hash), false);
  assert.equal(await verifySecret('', hash), false);
});

test('the same secret hashes differently each time (random salt)', async () => {
  const [a, b] = await Promise.all([hashSecret('same-secret-here!'), hashSecret('same-secret-here!')]);
  assert.notEqual(a, b);
  assert.equal(await verifySecret('same-secret-here!', b), true);
});

test('a tampered hash does not verify', async () => {
  const hash = await hashSecret('tamper-me-please!');
  const parts = hash.split('$');
  const key = Buffer.from(parts[5]!, 'base64');
  key[0] = key[0]! ^ 1;
  parts[5] = key.toString('base64');
  assert.equal(await verifySecret('tamper-me-please!', parts.join('$')), false);
});

test('a malformed hash throws VIGIL_BROKER_SECRET instead of answering false', async () => {
  for (const bad of ['', 'bcrypt$x', 'scrypt$3$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==', `scrypt$${2 ** 24}$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==`]) {
    await assert.rejects(verifySecret('x', bad), (err: unknown) => err instanceof BrokerError && err.code === 'VIGIL_BROKER_SECRET', bad);
  }
});

test('generateSecret gives 43 url-safe characters, different each call', () => {
  const a = generateSecret();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, generateSecret());
});
