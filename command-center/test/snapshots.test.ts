import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { newId } from '@vigil/schemas';
import { buildApp, createAlertHub } from '../src/index.js';
import { addUser, login, seedBasicTree } from './auth-helpers.js';
import { startTestDb, testLogger } from './helpers.js';

// Detection snapshots (issue 8): served only to users who may view cameras and
// whose sites hold the camera; every view and every refusal is audited.
describe('GET /api/snapshots/:camera/:file (embedded database, files on disk)', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  let dir: string;
  const photo = join(import.meta.dirname, '../../../shared/fixtures/images/background.jpg');
  const ref = 'cam-yard/1732600000000-1.jpg';
  const cookies: Record<string, string> = {};
  const get = (who: string, url: string) => app.inject({ url, headers: { cookie: cookies[who]! } });
  const audited = async (actor: string, outcome: string) =>
    (await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE actor = $1 AND action = 'snapshots.read' AND outcome = $2", [actor, outcome])).rows[0]!.n;

  before(async () => {
    db = await startTestDb();
    dir = mkdtempSync(join(tmpdir(), 'vigil-snap-'));
    mkdirSync(join(dir, 'cam-yard'));
    copyFileSync(photo, join(dir, ref));
    await seedBasicTree(db.pool);
    await db.pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('unit-b', 'moj', 2, 'Unit B', '乙单位')`);
    await db.pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('office-z', 'unit-b', 'community', 'Office Z', '丙司法所')`);
    await db.pool.query(
      `INSERT INTO detections (time, msg_id, det_idx, device_id, site_id, label, score, snapshot_ref) VALUES (now(), $1, 0, 'cam-yard', 'prison-a', 'person_down', 0.9, $2)`,
      [newId(), ref],
    );
    app = await buildApp({ pool: db.pool, alertFeed: createAlertHub(), logger: testLogger, snapshotDir: dir });
    for (const [id, role, unit] of [
      ['op-a', 'operator', 'moj'],
      ['op-b', 'operator', 'unit-b'],
      ['aud-1', 'auditor', 'moj'],
    ] as const) {
      cookies[id] = await login(app, await addUser(db.pool, { id, role, orgUnit: unit, totp: false }));
    }
  });

  after(async () => {
    await app?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an operator of the camera’s site gets the JPEG, not cached, and the view is audited', async () => {
    const res = await get('op-a', `/api/snapshots/${ref}`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.equal(res.headers['cache-control'], 'private, no-store');
    assert.deepEqual(res.rawPayload, readFileSync(join(dir, ref)));
    assert.equal(await audited('op-a', 'ok'), 1);
  });

  test('an operator of another part of the organisation gets a 404, and the refusal is audited', async () => {
    const res = await get('op-b', `/api/snapshots/${ref}`);
    assert.equal(res.statusCode, 404);
    assert.equal(await audited('op-b', 'denied'), 1);
  });

  test('a role without camera access is refused; a path outside the snapshot folder is not a valid reference', async () => {
    assert.equal((await get('aud-1', `/api/snapshots/${ref}`)).statusCode, 403);
    const bad = await get('op-a', '/api/snapshots/cam-yard/..%2F..%2Fetc%2Fpasswd');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().field, 'file');
  });

  test('a detection whose file is gone is a 404, not a 500', async () => {
    const gone = 'cam-yard/1732600000001-2.jpg';
    await db.pool.query(
      `INSERT INTO detections (time, msg_id, det_idx, device_id, site_id, label, score, snapshot_ref) VALUES (now(), $1, 0, 'cam-yard', 'prison-a', 'crowd', 0.8, $2)`,
      [newId(), gone],
    );
    assert.equal((await get('op-a', `/api/snapshots/${gone}`)).statusCode, 404);
  });

  test('a gate check’s snapshot (<camera>/gate/…, the ref of a card-face mismatch alert) is served the same way, in scope only', async () => {
    const gateRef = 'cam-gate/gate/1732600000002-3.jpg';
    mkdirSync(join(dir, 'cam-gate', 'gate'), { recursive: true });
    copyFileSync(photo, join(dir, gateRef));
    await db.pool.query(
      `INSERT INTO gate_face_checks (time, msg_id, site_id, door_id, device_id, camera_id, granted, holder_id, outcome, score, threshold, faces, snapshot_ref)
       VALUES (now(), $1, 'prison-a', 'door-1', 'gate-ctl', 'cam-gate', true, 'p-1', 'not_matched', 0.14, 0.3, 1, $2)`,
      [newId(), gateRef],
    );
    const res = await get('op-a', `/api/snapshots/${gateRef}`);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.rawPayload, readFileSync(join(dir, gateRef)));
    assert.equal((await get('op-b', `/api/snapshots/${gateRef}`)).statusCode, 404);
    // a detection's route does not reach a gate file, nor the other way round
    assert.equal((await get('op-a', `/api/snapshots/cam-gate/1732600000002-3.jpg`)).statusCode, 404);
    assert.equal((await get('op-a', `/api/snapshots/cam-yard/gate/1732600000000-1.jpg`)).statusCode, 404);
  });
});
