import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { buildApp } from '../src/app.js';
import { createAlertHub } from '../src/alert-feed.js';
import { issueCheckin } from '../src/checkin/requests.js';
import { checkinPublicRoutes } from '../src/routes/checkin-public.js';
import { signCheckinToken } from '../src/checkin/token.js';
import { checkinApp, enrol, formBody, lazyRuntime, photoBytes, seedSubjects } from './checkin-helpers.js';
import { startTestDb, testLogger } from './helpers.js';

const SECRET = randomBytes(32);

describe('remote check-in: the public endpoint with the real face models', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  const runtime = lazyRuntime();

  before(async () => {
    db = await startTestDb();
    await seedSubjects(db.pool, ['s-vlado', 's-cgi']);
    const rt = await runtime.load();
    await enrol(db.pool, rt, 's-vlado', ['person-vlado.jpg', 'person-vlado1.jpg']);
    await enrol(db.pool, rt, 's-cgi', ['cgi-multiangle-3.jpg']);
    app = await checkinApp({ pool: db.pool, tokenSecret: SECRET, loadRuntime: runtime.load });
  });
  after(async () => {
    await app?.close();
    await db?.close();
  });

  const issue = async (subject: string, over: { nowMs?: number; dueMs?: number; challenge?: 'turn_left' | 'turn_right' } = {}) => {
    const r = await issueCheckin(db.pool, SECRET, {
      subject, kind: 'manual', slot: `test:${randomBytes(4).toString('hex')}`, nowMs: over.nowMs ?? Date.now(), dueMs: over.dueMs ?? 600_000, graceMs: 60_000, deviceId: 'checkin-web', challenge: over.challenge ?? 'turn_left',
    });
    assert.ok(r);
    return r;
  };
  const post = async (token: string, fields: Record<string, string | Buffer | Buffer[]>) => app.inject({ method: 'POST', url: `/api/checkin/${token}`, ...(await formBody(fields)) });
  const row = async (subject: string) =>
    (await db.pool.query<{ result: string; face_match_score: number | null; liveness_score: number | null; lat: number | null; lon: number | null; acc_m: number | null; review_state: string; device_id: string }>(
      'SELECT result, face_match_score, liveness_score, lat, lon, acc_m, review_state, device_id FROM checkins WHERE subject_id = $1 ORDER BY received_at DESC LIMIT 1',
      [subject],
    )).rows[0];

  test('the link tells the page its challenge before the camera opens, without being used up', async () => {
    const { token, request } = await issue('s-vlado', { challenge: 'turn_right' });
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'GET', url: `/api/checkin/${token}` });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { challenge: 'turn_right', due_ts: request.dueTs, expires_ts: request.expiresTs });
    }
  });

  test('the same man (enrolled from vlado and vlado1) checks in with vlado5: matched; a still face is sent for review, with the scores kept for the officer', async () => {
    const { token, request } = await issue('s-vlado');
    const selfie = await photoBytes('person-vlado5.jpg');
    const res = await post(token, { selfie, after: [selfie, selfie], lat: '31.2304', lon: '121.4737', acc_m: '12', challenge: 'turn_left' });
    assert.equal(res.statusCode, 200, res.body);
    const answer = res.json<{ result: string; message: { en: string; 'zh-CN': string } }>();
    assert.equal(answer.result, 'review');
    assert.match(answer.message.en, /officer will look at it/);
    assert.match(answer.message['zh-CN'], /审核/);
    assert.doesNotMatch(res.body, /score|threshold|0\.\d{2}/, 'no scores to the subject');
    const r = await row('s-vlado');
    assert.ok(r);
    assert.equal(r.result, 'review');
    assert.equal(r.review_state, 'pending');
    assert.equal(r.device_id, 'checkin-web');
    assert.ok(r.face_match_score! >= 0.3, `match ${r.face_match_score}`);
    assert.ok(r.liveness_score !== null);
    assert.deepEqual([r.lat, r.lon, r.acc_m], [31.2304, 121.4737, 12]);
    const { rows } = await db.pool.query('SELECT result, challenge_met, challenge_turn_deg, reason FROM checkin_requests WHERE id = $1', [request.id]);
    assert.equal(rows[0].result, 'review');
    assert.equal(rows[0].challenge_met, false);
    assert.match(rows[0].reason, /liveness challenge turn_left not met/);
  });

  test('a face that turns the asked way passes (the rendered woman: frontal, then turned to her left)', async () => {
    const { token, request } = await issue('s-cgi', { challenge: 'turn_left' });
    const res = await post(token, { selfie: await photoBytes('cgi-multiangle-3.jpg'), after: [await photoBytes('cgi-multiangle-1.jpg')], lat: '31.2', lon: '121.4' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ result: string }>().result, 'pass');
    assert.equal((await row('s-cgi'))?.review_state, 'none');
    const { rows } = await db.pool.query('SELECT challenge_met, challenge_turn_deg FROM checkin_requests WHERE id = $1', [request.id]);
    assert.equal(rows[0].challenge_met, true);
    assert.ok(rows[0].challenge_turn_deg >= 15);
    // Turned the other way than asked: not a pass.
    const other = await issue('s-cgi', { challenge: 'turn_right' });
    const res2 = await post(other.token, { selfie: await photoBytes('cgi-multiangle-3.jpg'), after: [await photoBytes('cgi-multiangle-1.jpg')] });
    assert.equal(res2.json<{ result: string }>().result, 'review');
  });

  test('someone else (linda) fails and lands in the review queue', async () => {
    const { token } = await issue('s-vlado');
    const linda = await photoBytes('person-linda.jpg');
    const res = await post(token, { selfie: linda, after: [linda], lat: '31.1', lon: '121.1' });
    assert.equal(res.statusCode, 200, res.body);
    const answer = res.json<{ result: string; message: { en: string } }>();
    assert.equal(answer.result, 'fail');
    assert.match(answer.message.en, /not accepted/);
    const r = await row('s-vlado');
    assert.equal(r?.result, 'fail');
    assert.equal(r?.review_state, 'pending');
    assert.ok(r!.face_match_score! < 0.22);
  });

  test('a used link is refused, saying it was used', async () => {
    const { token } = await issue('s-vlado');
    const selfie = await photoBytes('person-vlado5.jpg');
    assert.equal((await post(token, { selfie })).statusCode, 200);
    for (const res of [await post(token, { selfie }), await app.inject({ method: 'GET', url: `/api/checkin/${token}` })]) {
      assert.equal(res.statusCode, 409);
      assert.equal(res.json<{ code: string }>().code, 'VIGIL_CHECKIN_LINK_USED');
      assert.match(res.json<{ message: string }>().message, /already been used \/ 签到链接已使用过/);
    }
  });

  test('an expired link is refused, saying it expired', async () => {
    const { token } = await issue('s-vlado', { nowMs: Date.now() - 3_600_000, dueMs: 60_000 });
    const res = await post(token, { selfie: await photoBytes('person-vlado5.jpg') });
    assert.equal(res.statusCode, 410);
    assert.equal(res.json<{ code: string }>().code, 'VIGIL_CHECKIN_LINK_EXPIRED');
    assert.match(res.json<{ message: string }>().message, /expired/);
  });

  test('a forged or damaged link is refused, saying it is not valid; a signed link to no request is unknown', async () => {
    const { token } = await issue('s-vlado');
    const sig = token.split('.')[1]!;
    const flipped = `${token.split('.')[0]}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    const otherKey = signCheckinToken(randomBytes(32), '01890a5d-ac96-774b-bcce-b302099a8057', Date.now() + 60_000);
    for (const bad of [flipped, otherKey, 'not-a-token']) {
      const res = await post(bad, { selfie: await photoBytes('person-vlado5.jpg') });
      assert.equal(res.statusCode, 400, bad);
      assert.equal(res.json<{ code: string }>().code, 'VIGIL_CHECKIN_LINK_INVALID');
      assert.match(res.json<{ message: string }>().message, /not valid \(damaged or forged\)/);
    }
    const nobody = signCheckinToken(SECRET, '01890a5d-ac96-774b-bcce-b302099a8057', Date.now() + 60_000);
    const res = await app.inject({ method: 'GET', url: `/api/checkin/${nobody}` });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ code: string }>().code, 'VIGIL_CHECKIN_LINK_UNKNOWN');
  });

  test('a bad upload names the field and leaves the link usable; an oversized one is refused', async () => {
    const { token } = await issue('s-vlado');
    const notJpeg = await post(token, { selfie: Buffer.from('hello, not a photo') });
    assert.equal(notJpeg.statusCode, 400);
    assert.equal(notJpeg.json<{ field: string }>().field, 'selfie');
    const noSelfie = await post(token, { lat: '31', lon: '121' });
    assert.equal(noSelfie.json<{ field: string }>().field, 'selfie');
    const badLat = await post(token, { selfie: await photoBytes('person-vlado5.jpg'), lat: '95', lon: '121' });
    assert.equal(badLat.json<{ field: string }>().field, 'lat');
    const wrongPrompt = await post(token, { selfie: await photoBytes('person-vlado5.jpg'), challenge: 'turn_right' });
    assert.equal(wrongPrompt.json<{ field: string }>().field, 'challenge');
    const big = await post(token, { selfie: Buffer.alloc(4 * 1024 * 1024, 0xff) });
    assert.equal(big.statusCode, 413);
    assert.equal((await app.inject({ method: 'GET', url: `/api/checkin/${token}` })).statusCode, 200, 'still usable');
  });

  test('inside the real app (as app.ts registers it): public without a session, past the 256 KB JSON limit, other routes still need a sign-in', async () => {
    const real = await buildApp({ pool: db.pool, alertFeed: createAlertHub(), logger: testLogger });
    await real.register(checkinPublicRoutes, { pool: db.pool, tokenSecret: SECRET, loadRuntime: runtime.load });
    try {
      const { token } = await issue('s-vlado');
      const selfie = await photoBytes('person-vlado5.jpg');
      const body = await formBody({ selfie, after: [selfie, selfie, selfie], lat: '31.2', lon: '121.4' });
      assert.ok(body.payload.length > 256 * 1024, `upload of ${body.payload.length} bytes`);
      const res = await real.inject({ method: 'POST', url: `/api/checkin/${token}`, ...body });
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(['pass', 'review'].includes(res.json<{ result: string }>().result));
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'/);
      const used = await real.inject({ method: 'GET', url: `/api/checkin/${token}` });
      assert.equal(used.json<{ code: string }>().code, 'VIGIL_CHECKIN_LINK_USED');
      assert.equal((await real.inject({ method: 'GET', url: '/api/checkins' })).statusCode, 401);
      const api = (await real.inject({ url: '/api/openapi.json' })).json<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>();
      assert.deepEqual(api.paths['/api/checkin/{token}']?.post?.security, [], 'documented as public');
    } finally {
      await real.close();
    }
  });

  test('the vision runtime was loaded once, on first use', () => {
    // once by the test for enrolment, once by each of the two apps' services (all the same loaded models)
    assert.equal(runtime.loads(), 3);
  });
});
