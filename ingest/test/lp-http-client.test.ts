import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpError, InfluxDB, Point, setLogger } from '@influxdata/influxdb-client';
import { createLogger, createLpToken, createPool, lpTokenCache, migrate, startEmbeddedDatabase, startIngest, startLpHttpServer } from '../src/index.js';
import { startBroker } from './helpers.js';

describe("InfluxData's own client library writes to Vigil as to an InfluxDB 2.x", () => {
  test('points written with @influxdata/influxdb-client are stored; its error handling reads our 400 and 401', async (t) => {
    const db = await startEmbeddedDatabase({ port: 0 });
    const pool = createPool(db.url);
    const broker = await startBroker();
    const silent = createLogger('client-test', 'silent');
    await migrate(pool);
    await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('sh', 3, 'Shanghai', '上海')`);
    await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('cc-xuhui', 'sh', 'community', 'Xuhui', '徐汇')`);
    await pool.query(`INSERT INTO devices (id, site_id, kind, secret_hash) VALUES ('env-0001', 'cc-xuhui', 'sensor', 'unused')`);
    const { token } = await createLpToken(pool, 'env-0001');
    const ingest = await startIngest({ mqttUrl: broker.url, clientId: 'ingest-client-test', pool, flushIntervalMs: 20, logger: silent });
    const http = await startLpHttpServer({ port: 0, authenticate: lpTokenCache(pool), submit: (r) => ingest.submit(r), logger: silent });
    t.after(async () => {
      await http.close();
      await ingest.close();
      await broker.close();
      await pool.end();
      await db.close();
    });

    // The refusals below are expected: keep the library from printing them to the console.
    const previous = setLogger({ error: () => undefined, warn: () => undefined });
    t.after(() => setLogger(previous));
    // No retries, so a refused batch surfaces at once as the client's HttpError.
    const writeOptions = { maxRetries: 0, batchSize: 100, gzipThreshold: 0 };
    const writer = new InfluxDB({ url: http.url, token }).getWriteApi('vigil', 'sensors', 'ms', writeOptions);
    writer.writePoint(new Point('air').tag('room', 'cell block A').floatField('co2_ppm', 612.5).intField('pm25', 12).booleanField('alarm', false).timestamp(new Date(1_764_000_000_000)));
    writer.writeRecord('air,room=yard co2_ppm=420,note="fresh, outside" 1764000001000');
    await writer.close();
    const rows = await pool.query("SELECT (extract(epoch FROM time) * 1000)::bigint::text AS ms, tags, fields FROM metrics WHERE measurement = 'air' ORDER BY time");
    assert.deepEqual(rows.rows, [
      { ms: '1764000000000', tags: { room: 'cell block A' }, fields: { co2_ppm: 612.5, pm25: 12, alarm: false } },
      { ms: '1764000001000', tags: { room: 'yard' }, fields: { co2_ppm: 420, note: 'fresh, outside' } },
    ]);

    const refused = async (api: ReturnType<InfluxDB['getWriteApi']>, record: string): Promise<HttpError> => {
      api.writeRecord(record);
      const err = await api.close().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof HttpError, `expected an HttpError, got ${String(err)}`);
      return err;
    };
    const bad = await refused(new InfluxDB({ url: http.url, token }).getWriteApi('vigil', 'sensors', 'ms', writeOptions), 'air,room=yard co2_ppm=lots 1');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.code, 'invalid');
    assert.match(bad.message, /^unable to parse 'air,room=yard co2_ppm=lots 1': line 1: field "co2_ppm"/);
    const unauthorized = await refused(new InfluxDB({ url: http.url, token: 'vlp_wrong' }).getWriteApi('vigil', 'sensors', 'ms', writeOptions), 'air v=1 1');
    assert.deepEqual([unauthorized.statusCode, unauthorized.code, unauthorized.message], [401, 'unauthorized', 'unauthorized access']);
  });
});
