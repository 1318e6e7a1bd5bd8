import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { createPool, migrate, startEmbeddedDatabase, type EmbeddedDatabase } from '../src/index.js';
import { completeMessages } from '../src/pg-frames.js';

const msg = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const startup = () => {
  const body = Buffer.from('\u0000\u0003\u0000\u0000user\u0000postgres\u0000\u0000', 'latin1');
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length + 4);
  return Buffer.concat([len, body]);
};

test('framing: whole messages only, across start-up and split reads', () => {
  const q = msg('Q', Buffer.from('select 1\u0000'));
  const s = startup();
  assert.deepEqual(completeMessages(s, false), { bytes: s.length, startedUp: true });
  assert.deepEqual(completeMessages(s.subarray(0, 3), false), { bytes: 0, startedUp: false });
  const two = Buffer.concat([q, q]);
  assert.deepEqual(completeMessages(two.subarray(0, q.length + 3), true), { bytes: q.length, startedUp: true });
  const ssl = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
  assert.deepEqual(completeMessages(ssl, false), { bytes: 8, startedUp: false }, 'SSLRequest keeps start-up open');
  assert.throws(() => completeMessages(Buffer.from([0x51, 0, 0, 0, 1]), true), /invalid PostgreSQL message length/);
});

let db: EmbeddedDatabase;
let pool: pg.Pool;
before(async () => {
  db = await startEmbeddedDatabase({ port: 0 });
  pool = createPool(db.url);
  await migrate(pool);
});
after(async () => {
  await pool?.end();
  await db?.close();
});

test('the embedded database takes queries far larger than one socket read', async () => {
  const big = 'x'.repeat(300_000);
  const { rows } = await pool.query<{ n: number }>('SELECT length($1::text) AS n', [big]);
  assert.equal(rows[0]!.n, 300_000);
  // A 2,000-row multi-row insert: ~14,000 parameters in one statement.
  const values: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < 2000; i++) {
    const b = params.length;
    values.push(`($${b + 1}, gen_random_uuid(), 'tag-big', 'site-a', $${b + 2}, $${b + 3}, $${b + 4}, 5)`);
    params.push(new Date(1_764_000_000_000 + i * 1000), i, 30 + i / 1e5, 120);
  }
  await pool.query(`INSERT INTO tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m) VALUES ${values.join(',')}`, params);
  const count = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM tag_fixes WHERE device_id = 'tag-big'`);
  assert.equal(Number(count.rows[0]!.n), 2000);
});
