import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type pg from 'pg';
import { parseLine } from '../src/line-protocol.js';
import {
  createLogger,
  createLpToken,
  createPool,
  lpTokenCache,
  migrate,
  revokeLpTokens,
  startEmbeddedDatabase,
  startIngest,
  startLpHttpServer,
  type EmbeddedDatabase,
  type Ingest,
  type LpHttpServer,
} from '../src/index.js';
import { startBroker } from './helpers.js';

const SITE = 'cc-xuhui';
const DEVICE = 'env-0001';
const LP_TOPIC = `vigil/v1/${SITE}/${DEVICE}/lp`;
// Tags with escaped spaces, commas and equals signs; every field type; a comment and a blank line.
const MULTI_LINE = [
  '# Telegraf-style payload from a third-party environment sensor',
  'weather,room=cell\\ block\\ A,sensor=bme280 temp_c=21.5,humidity_pct=40i,count=18446744073709551615u,ok=true,note="open \\"gate 2\\" \\\\ now" 1764000000000000000',
  '',
  'door\\,panel,room=yard\\,east,k\\=v=a\\=b state="closed",alarm=F,level=-1.5e3 1764000001000000000',
].join('\n');

/** One response, its JSON body parsed. */
interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

describe('line protocol over HTTP (InfluxDB v2 and v1 write APIs): real embedded database, real broker, real HTTP', () => {
  let db: EmbeddedDatabase;
  let pool: pg.Pool;
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let ingest: Ingest;
  let http: LpHttpServer;
  let token: string;

  before(async () => {
    db = await startEmbeddedDatabase({ port: 0 });
    pool = createPool(db.url);
    await migrate(pool);
    await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('sh', 3, 'Shanghai', '上海')`);
    await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ($1, 'sh', 'community', 'Xuhui office', '徐汇司法所')`, [SITE]);
    await pool.query(`INSERT INTO devices (id, site_id, kind, secret_hash) VALUES ($1, $2, 'sensor', 'unused'), ('env-0002', $2, 'sensor', 'unused')`, [DEVICE, SITE]);
    ({ token } = await createLpToken(pool, DEVICE));
    broker = await startBroker();
    ingest = await startIngest({ mqttUrl: broker.url, clientId: 'ingest-lp-http', pool, flushIntervalMs: 20, logger: createLogger('ingest-test', 'silent') });
    http = await startLpHttpServer({
      port: 0,
      authenticate: lpTokenCache(pool),
      submit: (records) => ingest.submit(records),
      maxBodyBytes: 64 * 1024,
      logger: createLogger('ingest-http-test', 'silent'),
    });
  });
  after(async () => {
    await http.close();
    await ingest.close();
    await broker.close();
    await pool.end();
    await db.close();
  });

  async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await fetch(`${http.url}${path}`, { method: 'POST', headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  }
  const v2 = (query = '') => `/api/v2/write?org=vigil&bucket=sensors${query}`;
  const auth = (t = token) => ({ Authorization: `Token ${t}` });

  async function metrics(measurement: string): Promise<{ us: string; site: string; device: string; tags: object; fields: object; count?: string }[]> {
    const res = await pool.query(
      `SELECT (extract(epoch FROM time) * 1000000)::bigint::text AS us, site_id AS site, device_id AS device, tags, fields, fields->>'count' AS count
         FROM metrics WHERE measurement = $1 ORDER BY time`,
      [measurement],
    );
    return res.rows;
  }
  const deadLetters = async () =>
    (await pool.query<{ source: string; topic: string; payload: Buffer; code: string; field: string; reason: string }>('SELECT source, topic, payload, code, field, reason FROM dead_letters ORDER BY id')).rows;
  const countMetrics = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM metrics')).rows[0]!.n;

  test('v2 write with a token: tags, escapes and every field type land in metrics, committed before the 204', async () => {
    const reply = await post(v2(), MULTI_LINE, auth());
    assert.equal(reply.status, 204);
    assert.equal(reply.body, undefined);
    // No waiting: the 204 is sent only after the transaction committed.
    const weather = await metrics('weather');
    assert.deepEqual(weather.map(({ count: _, ...r }) => r), [
      {
        us: '1764000000000000',
        site: SITE,
        device: DEVICE,
        tags: { room: 'cell block A', sensor: 'bme280' },
        fields: { temp_c: 21.5, humidity_pct: 40, count: 2 ** 64, ok: true, note: 'open "gate 2" \\ now' },
      },
    ]);
    assert.equal(weather[0]!.count, '18446744073709551615', 'a uint64 is stored exactly');
    assert.deepEqual((await metrics('door,panel')).map(({ count: _, ...r }) => r), [
      { us: '1764000001000000', site: SITE, device: DEVICE, tags: { room: 'yard,east', 'k=v': 'a=b' }, fields: { state: 'closed', alarm: false, level: -1500 } },
    ]);
  });

  test('precision s, ms and us are applied; an unknown precision is refused as InfluxDB does', async () => {
    assert.equal((await post(v2('&precision=s'), 'prec v=1i 1764000000', auth())).status, 204);
    assert.equal((await post(v2('&precision=ms'), 'prec v=2i 1764000000123', auth())).status, 204);
    assert.equal((await post(v2('&precision=us'), 'prec v=3i 1764000000123456', auth())).status, 204);
    assert.deepEqual((await metrics('prec')).map((r) => [r.us, r.fields]), [
      ['1764000000000000', { v: 1 }],
      ['1764000000123000', { v: 2 }],
      ['1764000000123456', { v: 3 }],
    ]);
    for (const precision of ['h', 'constructor']) {
      const bad = await post(v2(`&precision=${precision}`), 'prec v=4i 1', auth());
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body, { code: 'invalid', message: 'invalid precision; valid precision units are ns, us, ms, and s' });
    }
  });

  test('gzip bodies are inflated; a broken one is a 400 and an inflated size over the limit a 413', async () => {
    const ok = await post(v2(), gzipSync('zipped,room=yard v=7i 1764000000000000000\n'), { ...auth(), 'Content-Encoding': 'gzip' });
    assert.equal(ok.status, 204);
    assert.deepEqual((await metrics('zipped')).map((r) => [r.tags, r.fields]), [[{ room: 'yard' }, { v: 7 }]]);

    const broken = await post(v2(), Buffer.from('not gzip at all'), { ...auth(), 'Content-Encoding': 'gzip' });
    assert.equal(broken.status, 400);
    assert.equal((broken.body as { code: string }).code, 'invalid');
    assert.match((broken.body as { message: string }).message, /^unable to read data: gzip: /);

    // 1 MiB of line protocol gzips to a few kB: the limit applies to the inflated bytes.
    const bomb = gzipSync(`bomb v=1i 1\n`.repeat(90_000));
    assert.ok(bomb.length < 64 * 1024);
    const tooLarge = await post(v2(), bomb, { ...auth(), 'Content-Encoding': 'gzip' });
    assert.equal(tooLarge.status, 413);
    assert.deepEqual(tooLarge.body, { code: 'request too large', message: 'unable to read data: points batch is too large' });
    assert.deepEqual(await metrics('bomb'), []);
  });

  test('a missing, wrong or revoked token is a 401 in InfluxDB format, and nothing is stored', async () => {
    const before = await countMetrics();
    const deadBefore = (await deadLetters()).length;
    for (const headers of [{}, auth('vlp_not-a-real-token'), { Authorization: 'Basic dTpw' }]) {
      const reply = await post(v2(), 'sneaky v=1i', headers);
      assert.equal(reply.status, 401);
      assert.deepEqual(reply.body, { code: 'unauthorized', message: 'unauthorized access' });
      assert.equal(reply.headers.get('x-platform-error-code'), 'unauthorized');
    }
    const second = await createLpToken(pool, 'env-0002');
    assert.equal(await revokeLpTokens(pool, { tokenId: second.tokenId }), 1);
    assert.equal((await post(v2(), 'sneaky v=1i', auth(second.token))).status, 401);
    assert.equal(await countMetrics(), before);
    assert.equal((await deadLetters()).length, deadBefore, 'unauthenticated writes leave no trace in the database');
  });

  test('v2: a bad line rejects the whole batch with a 400 naming the line, and the line is dead-lettered', async () => {
    const body = ['batch,room=yard v=1i 1764000000000000000', 'batch,room=yard temp_c=oops 1764000000000000000', 'batch,room=gate v=2i 1764000000000000000'].join('\n');
    const reply = await post(v2(), body, auth());
    assert.equal(reply.status, 400);
    assert.equal(reply.headers.get('content-type'), 'application/json; charset=utf-8');
    const { code, message } = reply.body as { code: string; message: string };
    assert.equal(code, 'invalid');
    assert.equal(
      message,
      `unable to parse 'batch,room=yard temp_c=oops 1764000000000000000': line 2: field "temp_c": "oops" is not a float, integer (i), unsigned (u), boolean or quoted string`,
    );
    assert.deepEqual(await metrics('batch'), [], 'InfluxDB 2.x OSS writes nothing of a batch with a bad line');
    const dead = (await deadLetters()).at(-1)!;
    assert.deepEqual([dead.source, dead.topic, dead.code, dead.field, dead.payload.toString()], ['http', LP_TOPIC, 'VIGIL_INGEST_LP', 'line 2', 'batch,room=yard temp_c=oops 1764000000000000000']);
    assert.match(dead.reason, /^line 2: field "temp_c"/);
  });

  test('v1 /write: query, Token and basic credentials; precision u; partial writes and errors as InfluxDB 1.x', async () => {
    assert.equal((await post(`/write?db=telegraf&u=whoever&p=${token}&precision=u`, 'v1 v=1i 1764000000000001', {})).status, 204);
    assert.equal((await post('/write?db=telegraf&precision=ms', 'v1 v=2i 1764000000002', { Authorization: `Token whoever:${token}` })).status, 204);
    const basic = `Basic ${Buffer.from(`whoever:${token}`).toString('base64')}`;
    assert.equal((await post('/write?db=telegraf&precision=s', 'v1 v=3i 1764000003', { Authorization: basic })).status, 204);
    assert.deepEqual((await metrics('v1')).map((r) => [r.us, r.fields]), [
      ['1764000000000001', { v: 1 }],
      ['1764000000002000', { v: 2 }],
      ['1764000003000000', { v: 3 }],
    ]);

    const partial = await post(`/write?db=telegraf&p=${token}`, 'v1part v=1i 1764000000000000000\nv1part v= 1764000000000000000', {});
    assert.equal(partial.status, 400);
    assert.deepEqual(partial.body, { error: `partial write: unable to parse 'v1part v= 1764000000000000000': line 2: field "v": empty value dropped=1` });
    assert.equal((await metrics('v1part')).length, 1, 'InfluxDB 1.x stores the good lines of a partial write');
    assert.equal((await deadLetters()).at(-1)!.payload.toString(), 'v1part v= 1764000000000000000');

    assert.deepEqual((await post('/write?db=telegraf&u=x&p=wrong', 'v1 v=9i', {})).body, { error: 'authorization failed' });
    const noCreds = await post('/write?db=telegraf', 'v1 v=9i', {});
    assert.deepEqual([noCreds.status, noCreds.body], [401, { error: 'unable to parse authentication credentials' }]);
    const noDb = await post(`/write?p=${token}`, 'v1 v=9i', {});
    assert.deepEqual([noDb.status, noDb.body], [400, { error: 'database is required' }]);
  });

  test('a body that is not UTF-8 is a 400 and one dead letter holding its first 16 KiB', async () => {
    const body = Buffer.concat([Buffer.from('m v=1i 1\n'), Buffer.alloc(20 * 1024, 0xff)]);
    const reply = await post(v2(), body, auth());
    assert.deepEqual([reply.status, reply.body], [400, { code: 'invalid', message: 'unable to parse points: body is not UTF-8' }]);
    const dead = (await deadLetters()).at(-1)!;
    assert.deepEqual([dead.source, dead.topic, dead.field, dead.payload.length], ['http', LP_TOPIC, '', 16 * 1024]);
    assert.equal(dead.reason, `body is not UTF-8 (payload cut to its first 16384 of ${body.length} bytes)`);
  });

  test('the same points written again add no rows', async () => {
    const body = 'again,room=yard v=1i 1764000000000000000\nagain,room=gate v=2i 1764000000000000000';
    assert.equal((await post(v2(), body, auth())).status, 204);
    const after1 = await countMetrics();
    assert.equal((await post(v2(), body, auth())).status, 204);
    assert.equal((await post(v2(), gzipSync(body), { ...auth(), 'Content-Encoding': 'gzip' })).status, 204);
    assert.equal(await countMetrics(), after1);
    assert.equal((await metrics('again')).length, 2);
  });

  test("a request as Telegraf's influxdb_v2 output sends it is accepted", async () => {
    // plugins/outputs/influxdb_v2/http.go: POST <url>/api/v2/write?bucket=&org=, Token auth, gzip by default,
    // text/plain; the influx serializer ends every line with \n and sorts tags by key.
    const body = [
      'cpu,cpu=cpu-total,host=gw-01 usage_idle=97.5,usage_user=1.25 1764000000000000000',
      'system,host=gw-01 load1=0.12,n_cpus=4i,uptime=123456u,uptime_format="1 day,  10:17" 1764000000000000000',
      '',
    ].join('\n');
    const reply = await post('/api/v2/write?bucket=telegraf&org=prison-a', gzipSync(body), {
      Authorization: `Token ${token}`,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Encoding': 'gzip',
      'User-Agent': 'Telegraf/1.36.1 Go/1.24.5',
    });
    assert.equal(reply.status, 204);
    assert.deepEqual((await metrics('cpu')).map((r) => [r.tags, r.fields]), [[{ cpu: 'cpu-total', host: 'gw-01' }, { usage_idle: 97.5, usage_user: 1.25 }]]);
    assert.deepEqual((await metrics('system')).map((r) => r.fields), [{ load1: 0.12, n_cpus: 4, uptime: 123456, uptime_format: '1 day,  10:17' }]);
  });

  test('other paths and methods answer in InfluxDB format; /ping answers 204', async () => {
    const ping = await fetch(`${http.url}/ping`);
    assert.equal(ping.status, 204);
    const notFound = await fetch(`${http.url}/api/v2/query`, { method: 'POST', body: 'x' });
    assert.deepEqual([notFound.status, await notFound.json()], [404, { code: 'not found', message: 'path not found' }]);
    const wrongMethod = await fetch(`${http.url}/api/v2/write`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
    assert.equal(((await wrongMethod.json()) as { code: string }).code, 'method not allowed');
    const empty = await post(v2(), '', auth());
    assert.deepEqual([empty.status, empty.body], [400, { code: 'invalid', message: 'writing requires points' }]);
    const big = await post(v2(), Buffer.alloc(65 * 1024, 'a'), auth());
    assert.deepEqual([big.status, big.body], [413, { code: 'request too large', message: 'unable to read data: points batch is too large' }]);
  });
});

describe('line protocol precision (parser)', () => {
  test('a timestamp is read in the given unit and kept in nanoseconds; the range is checked in nanoseconds', () => {
    const at = (text: string, precision: 'ns' | 'us' | 'ms' | 's') => {
      const r = parseLine(text, 4, precision);
      return r.ok ? r.point.timeNs : r.reason;
    };
    assert.equal(at('m v=1 1764000000', 's'), 1_764_000_000_000_000_000n);
    assert.equal(at('m v=1 -2', 'ms'), -2_000_000n);
    assert.equal(at('m v=1 17', 'us'), 17_000n);
    assert.equal(at('m v=1 17', 'ns'), 17n);
    assert.equal(at('m v=1 9223372037', 's'), 'line 4: timestamp 9223372037 (seconds) is out of the int64 nanosecond range');
    assert.equal(at('m v=1 1.5', 'ms'), 'line 4: timestamp "1.5" is not an integer (milliseconds)');
  });
});

describe('line protocol over HTTP while ingest shuts down', () => {
  test('a write that cannot be committed any more is a 503 to retry, not a 204', async (t) => {
    const db = await startEmbeddedDatabase({ port: 0 });
    const pool = createPool(db.url);
    const broker = await startBroker();
    const ingest = await startIngest({ mqttUrl: broker.url, clientId: 'ingest-lp-http-closing', pool, logger: createLogger('ingest-test', 'silent') });
    const http = await startLpHttpServer({
      port: 0,
      authenticate: () => Promise.resolve({ tokenId: '1', deviceId: DEVICE, siteId: SITE }),
      submit: (records) => ingest.submit(records),
      logger: createLogger('ingest-http-test', 'silent'),
    });
    t.after(async () => {
      await http.close();
      await broker.close();
      await pool.end();
      await db.close();
    });
    await ingest.close();
    const res = await fetch(`${http.url}/api/v2/write?bucket=b`, { method: 'POST', headers: { Authorization: 'Token x' }, body: 'm v=1i 1' });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.deepEqual(await res.json(), { code: 'unavailable', message: 'ingest is shutting down; retry the write' });
  });
});
