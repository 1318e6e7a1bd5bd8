import type { Pool } from 'pg';
import { registerDevice } from '@vigil/broker';
import { newId } from '@vigil/schemas';
import { insertAlert, sampleAlert } from './helpers.js';
import { addUser, seedBasicTree } from './auth-helpers.js';

/** Where the office-b subject lives in the seed (a township in Hangzhou). */
const HOME = { lat: 30.2741, lon: 120.1551 };

/** The registry, people, fixes, zones, alerts and check-ins the views show. */
export async function seedViews(pool: Pool): Promise<void> {
  await seedBasicTree(pool);
  await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prison-north', 'moj', 'prison', 'North Demo Prison', '北郊示范监狱')`);
  await addUser(pool, { id: 'off-1', role: 'officer', orgUnit: 'moj' });
  await pool.query(`INSERT INTO subjects (id, site_id, ref, display_name, officer_id) VALUES ('s-1', 'office-b', 'CASE-001', 'Subject One', 'off-1'), ('s-2', 'office-b', 'CASE-002', 'Subject Two', NULL)`);
  const secret = 'a-test-secret-of-sixteen-chars';
  for (const [id, siteId, kind, subjectId] of [
    ['tag-0001', 'office-b', 'tag', 's-1'],
    ['gate-07', 'prison-a', 'gate', null],
    ['cam-01', 'prison-a', 'camera', null],
    ['pn-cam-a', 'prison-north', 'camera', null],
    ['pn-a-main', 'prison-north', 'gate', null],
    ['agent-01', 'prison-a', 'agent', null],
  ] as const) {
    await registerDevice(pool, { id, siteId, kind, subjectId, secret });
  }
  const since = new Date(Date.now() - 600_000);
  await pool.query(
    `INSERT INTO device_presence (device_id, site_id, online, since, last_msg_id) VALUES
       ('tag-0001', 'office-b', true, $1, gen_random_uuid()), ('gate-07', 'prison-a', false, $1, gen_random_uuid()),
       ('pn-cam-a', 'prison-north', true, $1, gen_random_uuid()), ('pn-a-main', 'prison-north', false, $1, gen_random_uuid()),
       ('agent-01', 'prison-a', true, $1, gen_random_uuid())`,
    [since],
  );
  // The edge agent's own status report, with its store-and-forward queue.
  await pool.query(
    `INSERT INTO device_events (time, msg_id, device_id, site_id, seq, type, body) VALUES (now() - interval '30 seconds', gen_random_uuid(), 'agent-01', 'prison-a', 7, 'agent.status', $1)`,
    [JSON.stringify({ online: true, queue_depth: 42, dropped: 0, version: '0.1.0' })],
  );
  // Five fixes over the last hour, walking north-east from home.
  for (let i = 0; i < 5; i++) {
    await pool.query(`INSERT INTO tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m) VALUES ($1, $2, 'tag-0001', 'office-b', $3, $4, $5, 8)`, [
      new Date(Date.now() - (50 - i * 10) * 60_000),
      newId(),
      i + 1,
      HOME.lat + i * 0.0004,
      HOME.lon + i * 0.001,
    ]);
  }
  const ring = [
    [HOME.lon + 0.004, HOME.lat - 0.001],
    [HOME.lon + 0.006, HOME.lat - 0.001],
    [HOME.lon + 0.006, HOME.lat + 0.001],
    [HOME.lon + 0.004, HOME.lat + 0.001],
    [HOME.lon + 0.004, HOME.lat - 0.001],
  ];
  await pool.query(`INSERT INTO zones (id, site_id, kind, name_en, name_zh, geometry) VALUES ('z-school', 'office-b', 'exclusion', 'School', '学校', $1)`, [
    JSON.stringify({ type: 'Polygon', coordinates: [ring] }),
  ]);
  const hour = 3_600_000;
  const now = Date.now();
  // Each alert in its own clock hour whatever the minute the test starts at (the dashboard's bars are clock hours):
  // the middle of the last three whole hours, and a moment earlier in the current one.
  const thisHour = Math.floor(now / hour) * hour;
  const inHour = (ago: number) => (ago === 0 ? thisHour + Math.floor((now - thisHour) / 2) : thisHour - ago * hour + hour / 2);
  const at = (ago: number) => ({ raised_ts: inHour(ago), last_ts: inHour(ago) });
  const alerts = [
    sampleAlert({ rule: 'zone.exclusion', site: 'office-b', dev: 'tag-0001', subject: 's-1', ...at(2) }),
    sampleAlert({ rule: 'zone.exclusion', site: 'office-b', dev: 'tag-0001', subject: 's-1', ...at(1) }),
    sampleAlert({ rule: 'zone.exclusion', site: 'office-b', dev: 'tag-0001', subject: 's-1', ...at(0) }),
    sampleAlert({ rule: 'battery.low', severity: 'low', site: 'office-b', dev: 'tag-0001', subject: 's-1', ...at(1) }),
    sampleAlert({ rule: 'gate.forced', severity: 'critical', site: 'prison-a', dev: 'gate-07', ...at(3) }),
  ];
  for (const a of alerts) {
    delete a.subject;
    await insertAlert(pool, a);
  }
  await pool.query(`UPDATE alerts SET subject_id = 's-1' WHERE device_id = 'tag-0001'`);
  await pool.query(`UPDATE alerts SET acked_at = raised_at + interval '45 seconds', state = 'acknowledged' WHERE rule = 'zone.exclusion'`);
  await pool.query(
    `INSERT INTO checkins (time, msg_id, subject_id, device_id, site_id, result, liveness_score, face_match_score, lat, lon, acc_m, review_state) VALUES
       (now() - interval '2 hours', gen_random_uuid(), 's-1', 'tag-0001', 'office-b', 'pass', 0.97, 0.93, $1, $2, 6, 'none'),
       (now() - interval '20 minutes', gen_random_uuid(), 's-1', 'tag-0001', 'office-b', 'review', 0.55, 0.61, $1, $2, 12, 'pending')`,
    [HOME.lat, HOME.lon],
  );
}
