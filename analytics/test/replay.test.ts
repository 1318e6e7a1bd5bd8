import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type pg from 'pg';
import { createPool, migrate, startEmbeddedDatabase, type EmbeddedDatabase } from '@vigil/ingest';
import { deviceTopic, newMessage } from '@vigil/schemas';
import type { RuleSetInput } from '../src/index.js';
import { SITE, SQUARE, sh } from './fixtures/rules.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/vigil-analytics.js', import.meta.url));
const T = sh(2025, 11, 24, 10);
const CENTRE = { lat: 31.189, lon: 121.437 };
const FAR = { lat: 31.2, lon: 121.45 };

const rules = (zones: Array<{ id: string; min_fixes?: number }>): RuleSetInput => ({
  defaults: { comm_loss_s: 1500, location_loss_s: 604_800 },
  zones: zones.map((z) => ({ site: SITE, kind: 'exclusion' as const, name: { en: 'School', 'zh-CN': '学校' }, geometry: SQUARE, ...z })),
});

// tag-1 spends two fixes in the square; tag-2 one; tag-3 goes quiet for longer than the 25-minute buffer.
const stream = [
  newMessage('tag.fix', 'tag-1', 1, { ...FAR, acc_m: 5 }, T),
  newMessage('tag.fix', 'tag-1', 2, { ...CENTRE, acc_m: 5 }, T + 10_000),
  newMessage('tag.fix', 'tag-1', 3, { ...CENTRE, acc_m: 5 }, T + 20_000),
  newMessage('tag.fix', 'tag-2', 1, { ...CENTRE, acc_m: 5 }, T + 30_000),
  newMessage('tag.fix', 'tag-2', 2, { ...FAR, acc_m: 5 }, T + 40_000),
  newMessage('tag.fix', 'tag-3', 1, { ...FAR, acc_m: 5 }, T + 50_000),
  newMessage('tag.fix', 'tag-1', 4, { ...FAR, acc_m: 5 }, T + 1_300_000),
  newMessage('tag.fix', 'tag-2', 3, { ...FAR, acc_m: 5 }, T + 1_300_000),
];

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-replay-'));
  await writeFile(join(dir, 'stream.jsonl'), stream.map((m) => JSON.stringify({ topic: deviceTopic(SITE, m.dev, 'telemetry'), payload: m })).join('\n'));
  await writeFile(join(dir, 'one-fix.json'), JSON.stringify(rules([{ id: 'school', min_fixes: 1 }])));
  await writeFile(join(dir, 'two-fixes.json'), JSON.stringify(rules([{ id: 'school', min_fixes: 2 }])));
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ zones: [{ id: 'x', site: SITE, kind: 'exclusion', name: { en: 'a', 'zh-CN': 'a' }, geometry: { type: 'Point', coordinates: [121, 31] } }] }));
});
after(() => rm(dir, { recursive: true, force: true }));

const range = ['--from', new Date(T).toISOString(), '--to', String(T + 1_600_000)];

test('replay of a recorded file: the alerts the rule set raises, the same every time', async () => {
  const args = ['replay', ...range, '--rules', join(dir, 'one-fix.json'), '--input', join(dir, 'stream.jsonl')];
  const a = await run(BIN, args, { env: { ...process.env, DATABASE_URL: '' } });
  const b = await run(BIN, [...args], { env: { ...process.env, DATABASE_URL: '' } });
  assert.equal(a.stdout, b.stdout);
  assert.match(a.stdout, /zone\.exclusion:tag-1:school/);
  assert.match(a.stdout, /zone\.exclusion:tag-2:school/);
  assert.match(a.stdout, /signal\.comm_loss:tag-3/, 'timers due inside the range fire');
  assert.match(a.stdout, /规则产生的告警: 3/);
  const json = JSON.parse((await run(BIN, [...args, '--json'], { env: { ...process.env, DATABASE_URL: '' } })).stdout) as { raised: Array<{ key: string }> };
  assert.deepEqual(json.raised.map((r) => r.key), ['zone.exclusion:tag-1:school', 'zone.exclusion:tag-2:school', 'signal.comm_loss:tag-3']);
});

test('a bad rule file is refused, naming the field (exit 78)', async () => {
  await assert.rejects(run(BIN, ['replay', ...range, '--rules', join(dir, 'bad.json'), '--input', join(dir, 'stream.jsonl')], { env: { ...process.env, DATABASE_URL: '' } }), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 78);
    assert.match(err.stderr, /zones\/0\/radius_m/);
    return true;
  });
});

describe('replay of the stored stream against what was actually raised', () => {
  let db: EmbeddedDatabase;
  let pool: pg.Pool;
  before(async () => {
    db = await startEmbeddedDatabase({ port: 0 });
    pool = createPool(db.url);
    await migrate(pool);
    for (const m of stream) {
      await pool.query(`INSERT INTO tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        new Date(m.ts),
        m.id,
        m.dev,
        SITE,
        m.seq,
        m.body.lat,
        m.body.lon,
        m.body.acc_m,
      ]);
    }
    // What the live rules (one fix) raised that day.
    for (const [key, rule, ts] of [
      ['zone.exclusion:tag-1:school', 'zone.exclusion', T + 10_000],
      ['zone.exclusion:tag-2:school', 'zone.exclusion', T + 30_000],
      ['signal.comm_loss:tag-3', 'signal.comm_loss', T + 1_550_000],
    ] as const) {
      await pool.query(
        `INSERT INTO alerts (id, key, rule, severity, state, site_id, device_id, title_en, title_zh, raised_at, last_at, evidence)
         VALUES (gen_random_uuid(), $1, $2, 'high', 'raised', $3, 'd', 't', 't', $4, $4, '{}')`,
        [key, rule, SITE, new Date(ts)],
      );
    }
  });
  after(async () => {
    await pool?.end();
    await db?.close();
  });

  test('a stricter zone (two fixes) tried on the stored stream: the difference names the alert that would go', async () => {
    const { stdout } = await run(BIN, ['replay', ...range, '--rules', join(dir, 'two-fixes.json'), '--json'], { env: { ...process.env, DATABASE_URL: db.url } });
    const r = JSON.parse(stdout) as { diff: { added: string[]; removed: string[]; same: string[] } };
    assert.deepEqual(r.diff, { added: [], removed: ['zone.exclusion:tag-2:school'], same: ['signal.comm_loss:tag-3', 'zone.exclusion:tag-1:school'] });
  });
});
