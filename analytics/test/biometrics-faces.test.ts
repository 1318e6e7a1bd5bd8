import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { pino } from 'pino';
import { check, CheckinResult } from '@vigil/schemas';
import { createPool, migrate } from '@vigil/ingest';
import { backends } from '../../ingest/test/backends.js';
import { loadRuntime, type VisionRuntime } from '../src/vision/runtime.js';
import { decodeJpeg, type RgbFrame } from '../src/vision/image.js';
import { VisionError } from '../src/vision/errors.js';
import { enrolFace, type FaceTemplate } from '../src/biometrics/enrol.js';
import { detectFaces, similarity } from '../src/biometrics/faces.js';
import { identify, verify } from '../src/biometrics/match.js';
import { checkinMessage, judgeCheckin } from '../src/biometrics/checkin.js';
import { loadTemplates, pendingCheckins, recordCheckin, reviewCheckin, saveTemplate } from '../src/biometrics/store.js';
import { missedCheckins } from '../src/biometrics/missed.js';
import { cardFaceDraft } from '../src/biometrics/gate.js';

const IMAGES = join(import.meta.dirname, '../../../shared/fixtures/images');
const cache = new Map<string, RgbFrame>();
const photo = async (f: string): Promise<RgbFrame> => {
  if (!cache.has(f)) cache.set(f, decodeJpeg(await readFile(join(IMAGES, f)), f));
  return cache.get(f)!;
};

let rt: VisionRuntime;
const templates: Record<string, FaceTemplate> = {};
before(async () => {
  rt = await loadRuntime({ body: false, logger: pino({ level: 'silent' }) });
  for (const [id, f] of [['vlado', 'person-vlado.jpg'], ['vlado1', 'person-vlado1.jpg'], ['vlado5', 'person-vlado5.jpg'], ['celeste', 'person-celeste.jpg'], ['linda', 'person-linda.jpg']]) {
    templates[id!] = (await enrolFace(rt, [await photo(f!)])).template;
  }
});

const desc = (id: string) => templates[id]!.descriptors[0]!;

test('enrolment keeps descriptors, not photos: one 1024-number descriptor per accepted photo', async () => {
  const { template, photos } = await enrolFace(rt, [await photo('person-vlado.jpg'), await photo('person-vlado1.jpg')]);
  assert.equal(template.descriptors.length, 2);
  assert.ok(template.descriptors.every((d) => d.length === 1024 && d.every(Number.isFinite)));
  assert.deepEqual(photos.map((p) => p.accepted), [true, true]);
});

test('enrolment refuses the empty room (no face) and the group photo (several faces), saying why per photo', async () => {
  const refused = async (files: string[]) => {
    try {
      await enrolFace(rt, await Promise.all(files.map(photo)));
    } catch (err) {
      assert.ok(err instanceof VisionError && err.code === 'VIGIL_BIOMETRICS_ENROL');
      return (err as VisionError & { photos: Array<{ reason?: string; faces: number }> }).photos;
    }
    assert.fail(`${files} enrolled`);
  };
  assert.deepEqual((await refused(['background.jpg']))!.map((p) => p.reason), ['no_face']);
  const group = (await refused(['stock-group-2.jpg']))![0]!;
  assert.equal(group.reason, 'several_faces');
  assert.ok(group.faces >= 3);
  // A mixed batch keeps the good photo and reports the bad one.
  const mixed = await enrolFace(rt, [await photo('group-1.jpg'), await photo('person-linda.jpg')]);
  assert.deepEqual(mixed.photos.map((p) => [p.accepted, p.reason]), [[false, 'several_faces'], [true, undefined]]);
  await assert.rejects(enrolFace(rt, []), /photos: at least one photo/);
});

test('enrolment refuses a face too small to describe well (low quality)', async () => {
  // The rendered woman's face in cgi-multiangle-1 is about 66 px wide.
  await assert.rejects(enrolFace(rt, [await photo('cgi-multiangle-1.jpg')]), (e: unknown) => e instanceof VisionError && /too small or unclear/.test(e.message));
});

test('the three photos of the same man verify against each other; the other people do not', () => {
  for (const [a, b] of [['vlado', 'vlado1'], ['vlado', 'vlado5'], ['vlado1', 'vlado5']] as const) {
    const v = verify(rt, desc(a), templates[b]!);
    assert.equal(v.outcome, 'matched', `${a}~${b}: ${v.score.toFixed(3)} vs ${v.threshold}`);
  }
  for (const a of ['vlado', 'vlado1', 'vlado5']) {
    for (const b of ['celeste', 'linda']) {
      const v = verify(rt, desc(a), templates[b]!);
      assert.equal(v.outcome, 'not_matched', `${a}~${b}: ${v.score.toFixed(3)}`);
    }
  }
  assert.equal(verify(rt, desc('celeste'), templates['linda']!).outcome, 'not_matched');
});

test('identification 1:N finds the man among the enrolled people and nobody for a stranger', async () => {
  const gallery = [
    { id: 'subj-vlado', template: { model: 'human-faceres' as const, descriptors: [desc('vlado'), desc('vlado1')] } },
    { id: 'subj-celeste', template: templates['celeste']! },
    { id: 'subj-linda', template: templates['linda']! },
  ];
  const hit = identify(rt, desc('vlado5'), gallery);
  assert.equal(hit.id, 'subj-vlado', JSON.stringify(hit.scores));
  assert.equal(hit.scores[0]!.id, 'subj-vlado');
  const stranger = (await detectFaces(rt, await photo('ai-upper.jpg')))[0]!;
  const miss = identify(rt, stranger.descriptor, gallery);
  assert.equal(miss.id, undefined, JSON.stringify(miss.scores));
});

test('descriptors are the same run to run', async () => {
  const again = (await detectFaces(rt, await photo('person-vlado.jpg')))[0]!;
  assert.equal(similarity(rt, again.descriptor, desc('vlado')), 1);
});

test('check-in: the same man passes or goes to review with every score beside its threshold; another person fails; an empty picture fails as no face', async () => {
  const fix = { lat: 31.19, lon: 121.44, acc_m: 12 };
  const own = await judgeCheckin(rt, 'subj-vlado', { model: 'human-faceres', descriptors: [desc('vlado'), desc('vlado1')] }, await photo('person-vlado5.jpg'), fix);
  assert.equal(own.face, 'matched');
  assert.ok(own.result === 'pass' || own.result === 'review', JSON.stringify(own));
  assert.ok(own.match && own.antispoof && own.liveness);
  assert.equal(own.match.threshold, 0.3);
  if (own.result === 'review') assert.match(own.reason!, /anti-spoofing|liveness/);
  const other = await judgeCheckin(rt, 'subj-vlado', templates['vlado']!, await photo('person-linda.jpg'), fix);
  assert.deepEqual([other.result, other.face], ['fail', 'not_matched']);
  const empty = await judgeCheckin(rt, 'subj-vlado', templates['vlado']!, await photo('background.jpg'));
  assert.deepEqual([empty.result, empty.face], ['fail', 'no_face']);
  const crowd = await judgeCheckin(rt, 'subj-vlado', templates['vlado']!, await photo('stock-group-2.jpg'));
  assert.deepEqual([crowd.result, crowd.face], ['fail', 'several_faces']);
  for (const body of [own, other, empty, crowd]) assert.ok(check(CheckinResult, checkinMessage('checkin-portal', 1, body, 1_764_000_000_000)).ok);
});

test('gate: a card read by someone whose face is not the holder\'s raises an alert naming the door, the holder and the score; the holder passes quietly', () => {
  const read = { site: 'prison-north', dev: 'gw-block-a', door: 'door-a1', holder: 'staff-vlado', msgId: '0190b4a0-0000-7000-8000-000000000001', ts: 1_764_000_000_000 };
  const stranger = cardFaceDraft({ ...read, verdict: verify(rt, desc('linda'), templates['vlado']!) });
  assert.ok(stranger);
  assert.equal(stranger.key, 'biometrics.card_face_mismatch:door-a1:staff-vlado');
  assert.equal(stranger.evidence.door, 'door-a1');
  assert.match(stranger.title.en, /score 0\.\d\d < 0\.30/);
  assert.match(stranger.title['zh-CN'], /门卡与持卡人人脸不符/);
  assert.equal(cardFaceDraft({ ...read, verdict: verify(rt, desc('vlado1'), templates['vlado']!) }), undefined);
});

test('a check-in not made by its deadline plus grace is an alert; one made in time, or a deadline not yet passed, is not', () => {
  const T = 1_764_000_000_000;
  const due = [
    { subject: 's1', site: 'cc-xuhui', dev: 'checkin-portal', requestId: 'r1', dueTs: T + 600_000, graceMs: 60_000 },
    { subject: 's2', site: 'cc-xuhui', dev: 'checkin-portal', requestId: 'r2', dueTs: T + 600_000, graceMs: 60_000 },
    { subject: 's3', site: 'cc-xuhui', dev: 'checkin-portal', requestId: 'r3', dueTs: T + 900_000, graceMs: 60_000 },
  ];
  const issued = { r1: T, r2: T, r3: T };
  const got = missedCheckins(due, [{ subject: 's1', ts: T + 300_000 }, { subject: 's2', ts: T - 5000 }], issued, T + 700_000);
  assert.deepEqual(got.map((a) => [a.key, a.ts, a.title['zh-CN']]), [['checkin.missed:s2:r2', T + 660_000, '未按时报到']]);
});

const embedded = backends().find((b) => b.name.includes('embedded'))!;
describe(`templates and check-ins stored on ${embedded.name}`, { skip: embedded.skip }, () => {
  let pool: pg.Pool;
  before(async () => {
    pool = createPool(await embedded.start());
    await migrate(pool);
  });
  after(async () => {
    await pool?.end();
    await embedded.stop();
  });

  test('a template is stored as descriptors and loaded back for 1:N; a failed or doubtful check-in waits in the review queue', async () => {
    await saveTemplate(pool, 'subj-vlado', templates['vlado']!, 'officer-3');
    await saveTemplate(pool, 'subj-linda', templates['linda']!, 'officer-3');
    const loaded = await loadTemplates(pool, ['subj-vlado', 'subj-linda', 'subj-none']);
    assert.deepEqual(loaded.map((c) => c.id), ['subj-linda', 'subj-vlado']);
    assert.equal(identify(rt, desc('vlado1'), loaded).id, 'subj-vlado');
    const cols = (await pool.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'face_templates'`)).rows.map((r) => r.column_name);
    assert.ok(!cols.some((c) => /photo|image/.test(c)), 'no photo column');

    const fail = checkinMessage('checkin-portal', 1, await judgeCheckin(rt, 'subj-vlado', templates['vlado']!, await photo('person-linda.jpg'), { lat: 31.19, lon: 121.44, acc_m: 9 }), 1_764_000_000_000);
    const pass = checkinMessage('checkin-portal', 2, { subject: 'subj-vlado', result: 'pass', face: 'matched', match: { score: 0.5, threshold: 0.3 } }, 1_764_000_060_000);
    await recordCheckin(pool, 'cc-xuhui', fail);
    await recordCheckin(pool, 'cc-xuhui', fail);
    await recordCheckin(pool, 'cc-xuhui', pass);
    const rows = (await pool.query<{ result: string; review_state: string; lat: number }>(`SELECT result, review_state, lat FROM checkins ORDER BY time`)).rows;
    assert.deepEqual(rows.map((r) => [r.result, r.review_state]), [['fail', 'pending'], ['pass', 'none']], 'stored once each; the failure is pending review');
    assert.equal(rows[0]!.lat, 31.19);
    const queue = await pendingCheckins(pool, 'cc-xuhui');
    assert.deepEqual(queue.map((q) => [q.msgId, q.subject, q.result]), [[fail.id, 'subj-vlado', 'fail']]);
    assert.equal(await reviewCheckin(pool, fail.id, 'officer-3', false, 1_764_000_100_000), true);
    assert.equal(await reviewCheckin(pool, fail.id, 'officer-4', true, 1_764_000_200_000), false, 'reviewed once');
    assert.deepEqual(await pendingCheckins(pool, 'cc-xuhui'), []);
    const done = (await pool.query<{ review_state: string; reviewed_by: string }>(`SELECT review_state, reviewed_by FROM checkins WHERE msg_id = $1`, [fail.id])).rows[0];
    assert.deepEqual(done, { review_state: 'rejected', reviewed_by: 'officer-3' });
  });
});
