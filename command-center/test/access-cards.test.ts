import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { issueCard, recordGateFaceCheck, type GateFaceCheckRow } from '@vigil/analytics';
import { newId } from '@vigil/schemas';
import { buildApp, createAlertHub } from '../src/index.js';
import { addUser, login, seedBasicTree } from './auth-helpers.js';
import { injectAs, lastAudit as lastAuditOf } from './inject-helpers.js';
import { startTestDb, testLogger } from './helpers.js';

/**
 * Access cards and gate face checks in the command centre (issue 8): issue, list and revoke
 * cards within one's sites, and read what vigil-vision judged at the doors, with the scores
 * beside their thresholds and the evidence frame. Scoped (a 404 outside, audited as denied),
 * audited, a 400 names the bad field, a 403 for roles without the right.
 */
describe('access cards and gate checks (app.inject, embedded database)', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  let snapshotDir: string;
  const cookies: Record<string, string> = {};
  const q = (sql: string, p: unknown[] = []) => db.pool.query(sql, p);
  const as = injectAs(() => app, cookies);
  const lastAudit = (action: string) => lastAuditOf(db.pool, action);
  const T = Date.now() - 3_600_000;
  const gateRef = `pa-cam-gate/gate/${T + 2000}-1.jpg`;
  const check = (over: Partial<GateFaceCheckRow>): GateFaceCheckRow => ({
    msgId: newId(), ts: T, site: 'prison-a', door: 'pa-main', dev: 'pa-gate-1', camera: 'pa-cam-gate', granted: true, holder: 'staff-vlado', outcome: 'matched', faces: 1, ...over,
  });
  const checks = {
    matched: check({ ts: T, score: 0.47, threshold: 0.3, seen: 'staff-vlado', seenScore: 0.47 }),
    mismatch: check({ ts: T + 2000, holder: 'staff-celeste', outcome: 'not_matched', score: 0.14, threshold: 0.3, seen: 'staff-vlado', seenScore: 0.47, snapshotRef: gateRef, alertId: newId() }),
    empty: check({ ts: T + 4000, door: 'pa-side', outcome: 'no_face', faces: 0, snapshotRef: `pa-cam-gate/gate/${T + 4000}-2.jpg` }),
    elsewhere: check({ ts: T + 1000, site: 'prison-x', door: 'px-main', dev: 'px-gate', camera: 'px-cam', holder: 'staff-x' }),
  };

  before(async () => {
    db = await startTestDb();
    await seedBasicTree(db.pool);
    await q(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('elsewhere', NULL, 1, 'Elsewhere', '别处')`);
    await q(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prison-x', 'elsewhere', 'prison', 'Prison X', '戊监狱')`);
    await q(`INSERT INTO face_templates (person_id, model, descriptors, enrolled_by) VALUES ('staff-vlado', 'human-faceres', '[[0.1, 0.2]]', 'test')`);
    await issueCard(db.pool, 'prison-x', 'X-1', 'staff-x', T);
    for (const c of Object.values(checks)) await recordGateFaceCheck(db.pool, c);
    snapshotDir = await mkdtemp(join(tmpdir(), 'vigil-gate-'));
    await mkdir(join(snapshotDir, 'pa-cam-gate', 'gate'), { recursive: true });
    await writeFile(join(snapshotDir, gateRef), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    app = await buildApp({ pool: db.pool, alertFeed: createAlertHub(), logger: testLogger, snapshotDir });
    for (const [id, role, orgUnit] of [
      ['adm-1', 'administrator', 'moj'],
      ['sup-1', 'supervisor', 'moj'],
      ['op-1', 'operator', 'moj'],
      ['aud-1', 'auditor', 'moj'],
      ['off-1', 'officer', 'moj'],
      ['op-x', 'operator', 'elsewhere'],
    ] as const) cookies[id] = await login(app, await addUser(db.pool, { id, role, orgUnit }));
  });

  after(async () => {
    await app?.close();
    await db?.close();
    if (snapshotDir) await rm(snapshotDir, { recursive: true, force: true });
  });

  test('issue, list, conflict, revoke, issue again', async () => {
    const issued = await as('adm-1', 'POST', '/api/access-cards', { card: '0042', site: 'prison-a', person: 'staff-vlado' });
    assert.equal(issued.statusCode, 201, issued.body);
    const c = issued.json() as { card: string; site: string; person: string; issued_ts: number; revoked_ts: number | null; has_template: boolean };
    assert.deepEqual({ ...c, issued_ts: 0 }, { card: '0042', site: 'prison-a', person: 'staff-vlado', issued_ts: 0, revoked_ts: null, has_template: true });
    assert.ok(Math.abs(c.issued_ts - Date.now()) < 60_000);
    assert.deepEqual(await lastAudit('cards.issue'), { actor: 'adm-1', resource: 'access-cards/prison-a/0042', outcome: 'ok', detail: { site: 'prison-a', person: 'staff-vlado' } });

    const taken = await as('sup-1', 'POST', '/api/access-cards', { card: '0042', site: 'prison-a', person: 'staff-celeste' });
    assert.equal(taken.statusCode, 409);
    assert.equal(taken.json().field, 'card');
    assert.match(taken.json().message, / \/ .*[\u4e00-\u9fff]/);

    const list = await as('op-1', 'GET', '/api/access-cards');
    assert.equal(list.statusCode, 200);
    assert.deepEqual((list.json() as { cards: { card: string; person: string }[] }).cards.map((x) => [x.card, x.person]), [['0042', 'staff-vlado']], 'not prison-x');
    assert.deepEqual((await lastAudit('cards.list'))?.detail, { site: null, person: null, live: null, returned: 1 });
    assert.equal((await as('aud-1', 'GET', '/api/access-cards?site=prison-a&live=true')).json().cards.length, 1);

    const revoked = await as('sup-1', 'POST', '/api/access-cards/0042/revoke', { site: 'prison-a' });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.ok(typeof revoked.json().revoked_ts === 'number');
    assert.deepEqual(await lastAudit('cards.revoke'), { actor: 'sup-1', resource: 'access-cards/prison-a/0042', outcome: 'ok', detail: { site: 'prison-a', person: 'staff-vlado' } });
    const again = await as('sup-1', 'POST', '/api/access-cards/0042/revoke', { site: 'prison-a' });
    assert.equal(again.statusCode, 404);
    assert.equal((await lastAudit('cards.revoke'))?.outcome, 'denied');

    const reissued = await as('sup-1', 'POST', '/api/access-cards', { card: '0042', site: 'prison-a', person: 'staff-celeste' });
    assert.equal(reissued.statusCode, 201, reissued.body);
    assert.equal(reissued.json().has_template, false);
    const cards = (await as('adm-1', 'GET', '/api/access-cards?site=prison-a')).json().cards as { person: string; revoked_ts: number | null }[];
    assert.deepEqual(cards.map((x) => [x.person, x.revoked_ts === null]), [['staff-celeste', true], ['staff-vlado', false]], 'newest first, the old holder kept');
    assert.deepEqual((await as('adm-1', 'GET', '/api/access-cards?live=false')).json().cards.map((x: { person: string }) => x.person), ['staff-vlado']);
    assert.deepEqual((await as('adm-1', 'GET', '/api/access-cards?person=staff-celeste')).json().cards.length, 1);
  });

  test('another subtree: 404 audited as denied, nothing changed', async () => {
    const issue = await as('adm-1', 'POST', '/api/access-cards', { card: 'X-2', site: 'prison-x', person: 'staff-vlado' });
    assert.equal(issue.statusCode, 404);
    assert.deepEqual(await lastAudit('cards.issue'), { actor: 'adm-1', resource: 'access-cards/prison-x/X-2', outcome: 'denied', detail: { site: 'prison-x', reason: 'not_in_scope' } });
    const revoke = await as('sup-1', 'POST', '/api/access-cards/X-1/revoke', { site: 'prison-x' });
    assert.equal(revoke.statusCode, 404);
    assert.equal(revoke.body, (await as('sup-1', 'POST', '/api/access-cards/X-1/revoke', { site: 'no-such-site' })).body, 'the same 404 as for a site that exists nowhere');
    assert.equal((await q(`SELECT count(*)::int AS n FROM access_cards WHERE site_id = 'prison-x' AND revoked_at IS NULL`)).rows[0].n, 1);
    assert.equal((await q(`SELECT count(*)::int AS n FROM access_cards WHERE card = 'X-2'`)).rows[0].n, 0);
    for (const url of ['/api/access-cards?site=prison-x', '/api/gate-checks?site=prison-x']) {
      assert.equal((await as('op-1', 'GET', url)).statusCode, 404, url);
      assert.equal((await lastAudit(url.includes('gate') ? 'gate_checks.list' : 'cards.list'))?.outcome, 'denied', url);
    }
    assert.deepEqual((await as('op-x', 'GET', '/api/access-cards')).json().cards.map((x: { card: string }) => x.card), ['X-1'], 'and the other way round');
  });

  test('bad input: 400 naming the field', async () => {
    const cases: [string, string, object | undefined, string][] = [
      ['POST', '/api/access-cards', { card: '7', site: 'prison-a' }, 'person'],
      ['POST', '/api/access-cards', { card: '7', site: 'prison-a', person: 'no spaces' }, 'person'],
      ['POST', '/api/access-cards', { card: '', site: 'prison-a', person: 'p' }, 'card'],
      ['POST', '/api/access-cards', { card: 'x'.repeat(65), site: 'prison-a', person: 'p' }, 'card'],
      ['POST', '/api/access-cards', { card: '7', site: 'prison-a', person: 'p', photo: 'x' }, 'photo'],
      ['POST', '/api/access-cards/7/revoke', {}, 'site'],
      ['GET', '/api/gate-checks?outcome=maybe', undefined, 'outcome'],
      ['GET', '/api/gate-checks?limit=0', undefined, 'limit'],
      ['GET', '/api/gate-checks?from=yesterday', undefined, 'from'],
      ['GET', '/api/access-cards?live=perhaps', undefined, 'live'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await as('adm-1', method as 'GET' | 'POST', url, body);
      assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().field, field, url);
    }
  });

  test('gate checks: newest first, filtered, with scores, thresholds and the snapshot', async () => {
    type Check = { id: string; ts: number; door: string; holder: string | null; outcome: string; score: number | null; threshold: number | null; seen: string | null; seen_score: number | null; snapshot: string | null; snapshot_url: string | null; alert: string | null };
    const get = async (user: string, query = '') => {
      const res = await as(user, 'GET', `/api/gate-checks${query}`);
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as { checks: Check[] }).checks;
    };
    const all = await get('op-1');
    assert.deepEqual(all.map((c) => c.id), [checks.empty.msgId, checks.mismatch.msgId, checks.matched.msgId], 'newest first, not prison-x');
    const m = all[1]!;
    assert.deepEqual(
      { outcome: m.outcome, holder: m.holder, seen: m.seen, snapshot: m.snapshot, alert: m.alert, ts: m.ts },
      { outcome: 'not_matched', holder: 'staff-celeste', seen: 'staff-vlado', snapshot: gateRef, alert: checks.mismatch.alertId, ts: checks.mismatch.ts },
    );
    assert.ok(Math.abs(m.score! - 0.14) < 1e-6 && Math.abs(m.threshold! - 0.3) < 1e-6 && Math.abs(m.seen_score! - 0.47) < 1e-6);
    assert.equal(all[2]!.snapshot_url, null, 'a match keeps no picture');
    assert.deepEqual(await lastAudit('gate_checks.list'), { actor: 'op-1', resource: 'gate_face_checks', outcome: 'ok', detail: { site: null, door: null, outcome: null, from: null, to: null, returned: 3 } });

    assert.deepEqual((await get('aud-1', '?door=pa-side')).map((c) => c.outcome), ['no_face']);
    assert.deepEqual((await get('sup-1', '?site=prison-a&outcome=not_matched')).map((c) => c.id), [checks.mismatch.msgId]);
    assert.deepEqual((await get('op-1', `?from=${T + 1}&to=${T + 4000}`)).map((c) => c.id), [checks.mismatch.msgId], 'from inclusive, to exclusive');
    assert.deepEqual((await get('op-1', '?limit=1')).map((c) => c.id), [checks.empty.msgId]);
    assert.deepEqual((await get('op-x')).map((c) => c.id), [checks.elsewhere.msgId]);

    const shot = await as('op-1', 'GET', m.snapshot_url!);
    assert.equal(shot.statusCode, 200, shot.body);
    assert.equal(shot.headers['content-type'], 'image/jpeg');
    assert.deepEqual((await lastAudit('snapshots.read'))?.detail, { site: 'prison-a', gate_check: checks.mismatch.msgId });
    assert.equal((await as('op-x', 'GET', m.snapshot_url!)).statusCode, 404);
    assert.deepEqual(await lastAudit('snapshots.read'), { actor: 'op-x', resource: `gate-checks/${checks.mismatch.msgId}/snapshot`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
    assert.equal((await as('op-1', 'GET', all[0]!.snapshot_url!)).statusCode, 404, 'file gone from the snapshot folder');
    assert.equal((await as('aud-1', 'GET', m.snapshot_url!)).statusCode, 403, 'auditors do not view cameras');
  });

  test('roles without the right: 403', async () => {
    assert.equal((await as('off-1', 'GET', '/api/access-cards')).statusCode, 403);
    assert.equal((await as('off-1', 'GET', '/api/gate-checks')).statusCode, 403);
    for (const user of ['op-1', 'aud-1', 'off-1']) {
      assert.equal((await as(user, 'POST', '/api/access-cards', { card: '9', site: 'prison-a', person: 'p' })).statusCode, 403, user);
      assert.equal((await as(user, 'POST', '/api/access-cards/0042/revoke', { site: 'prison-a' })).statusCode, 403, user);
    }
    assert.equal((await q(`SELECT count(*)::int AS n FROM access_cards WHERE card = '9'`)).rows[0].n, 0);
  });

  test('the routes are in the OpenAPI document', async () => {
    const paths = Object.keys((await app.inject({ method: 'GET', url: '/api/openapi.json' })).json().paths as object);
    for (const p of ['/api/access-cards', '/api/access-cards/{card}/revoke', '/api/gate-checks', '/api/gate-checks/{id}/snapshot']) assert.ok(paths.includes(p), p);
  });
});
