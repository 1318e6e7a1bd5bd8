import { CONFIG_EXIT_CODE, intEnv, optionalEnv, readConfigOrExit, urlEnv } from './config.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-db.js';
import { startLpHttpServer, type LpHttpServer } from './http/server.js';
import { lpTokenCache } from './http/tokens.js';
import { committedLpPoints, createInfluxMirror } from './mirror/influx-mirror.js';
import { mirrorEnv } from './mirror/mirror-env.js';
import { startIngest } from './ingest.js';
import { startJobRunner } from './job-runner.js';
import { createLogger } from './logger.js';
import { createIngestMetrics } from './metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-http.js';
import { migrate } from './migrate.js';
import { writeMethodEnv } from './copy-writer.js';
import { partitionEnv } from './partition.js';
import { applyPolicies, policyIntervalEnv } from './policies.js';
import { createPool } from './pool.js';

const log = createLogger('ingest-main');

const config = readConfigOrExit(() => ({
  databaseUrl: optionalEnv('DATABASE_URL') === undefined ? undefined : urlEnv('DATABASE_URL', { protocols: ['postgres:', 'postgresql:'] }),
  dataDir: optionalEnv('VIGIL_DATA_DIR', './data/pg'),
  dbPort: intEnv('VIGIL_DB_PORT', 5433, { min: 0, max: 65535 }),
  mqttUrl: urlEnv('VIGIL_MQTT_URL', { protocols: ['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ws:', 'wss:'] }),
  mqttUsername: optionalEnv('VIGIL_MQTT_USERNAME'),
  mqttPassword: optionalEnv('VIGIL_MQTT_PASSWORD'),
  clientId: optionalEnv('VIGIL_INGEST_CLIENT_ID', 'vigil-ingest'),
  batchMaxRows: intEnv('VIGIL_INGEST_BATCH_MAX_ROWS', 500, { min: 1, max: 10_000 }),
  flushIntervalMs: intEnv('VIGIL_INGEST_FLUSH_INTERVAL_MS', 200, { min: 1, max: 60_000 }),
  // "<index>/<count>": this process stores the devices hashing to <index> (src/partition.ts).
  partition: partitionEnv('VIGIL_INGEST_PARTITION'),
  // auto (= unnest): INSERT ... SELECT FROM unnest(arrays), measured fastest on both backends (src/unnest-writer.ts, bench/ingest-write.ts).
  writeMethod: writeMethodEnv('VIGIL_INGEST_WRITE_METHOD'),
  // Storage policy ages (migration 012): compress after, drop raw data after ('forever' keeps it).
  compressAfter: policyIntervalEnv('VIGIL_COMPRESS_AFTER', '7 days'),
  retainFor: policyIntervalEnv('VIGIL_RETAIN_FOR', '400 days', { forever: true }),
  // InfluxDB-compatible line protocol over HTTP (src/http/server.ts), only when a port is set.
  httpPort: optionalEnv('VIGIL_INGEST_HTTP_PORT') === undefined ? undefined : intEnv('VIGIL_INGEST_HTTP_PORT', 0, { min: 0, max: 65535 }),
  httpHost: optionalEnv('VIGIL_INGEST_HTTP_HOST', '127.0.0.1'),
  httpMaxBodyBytes: intEnv('VIGIL_INGEST_HTTP_MAX_BODY_BYTES', 8 * 1024 * 1024, { min: 1024, max: 256 * 1024 * 1024 }),
  // Prometheus /metrics and /healthz on loopback (src/metrics-http.ts), only when a port is set.
  metricsPort: optionalEnv('VIGIL_INGEST_METRICS_PORT') === undefined ? undefined : intEnv('VIGIL_INGEST_METRICS_PORT', 0, { min: 0, max: 65535 }),
  // Copy every committed line-protocol point to an external InfluxDB (src/mirror/), only when a URL is set.
  mirror: mirrorEnv(),
}));
if (config.mqttPassword !== undefined && config.mqttUsername === undefined) {
  process.stderr.write('VIGIL_MQTT_USERNAME: is required when VIGIL_MQTT_PASSWORD is set / 配置项 VIGIL_MQTT_USERNAME：设置了 VIGIL_MQTT_PASSWORD 时必须设置\n');
  process.exit(CONFIG_EXIT_CODE);
}

let embedded: EmbeddedDatabase | undefined;
if (config.databaseUrl === undefined) {
  embedded = await startEmbeddedDatabase({ port: config.dbPort, dataDir: config.dataDir });
  log.info({ url: embedded.url, dataDir: config.dataDir }, 'embedded database started');
}
const pool = createPool(config.databaseUrl ?? embedded!.url);
const { applied } = await migrate(pool);
log.info({ applied }, 'migrations applied');
await applyPolicies(pool, { compressAfter: config.compressAfter, retainFor: config.retainFor, logger: log });
// The embedded database has no background workers: run its policy jobs from here.
const jobRunner = await startJobRunner(pool, { logger: createLogger('job-runner') });

const mirror = config.mirror && createInfluxMirror({ ...config.mirror, logger: createLogger('ingest-mirror') });
const metrics = config.metricsPort === undefined ? undefined : createIngestMetrics();
const ingest = await startIngest({
  ...config,
  pool,
  onBatch: metrics?.onBatch,
  onCommitted: mirror && ((records) => mirror.add(committedLpPoints(records))),
  logger: createLogger('ingest'),
});
let http: LpHttpServer | undefined;
if (config.httpPort !== undefined) {
  http = await startLpHttpServer({
    port: config.httpPort,
    host: config.httpHost,
    maxBodyBytes: config.httpMaxBodyBytes,
    authenticate: lpTokenCache(pool),
    submit: (records) => ingest.submit(records),
    logger: createLogger('ingest-http'),
  });
}
let metricsServer: MetricsServer | undefined;
if (metrics && config.metricsPort !== undefined) {
  metrics.attach(ingest);
  metricsServer = await startMetricsServer({ port: config.metricsPort, registry: metrics.registry, logger: createLogger('ingest-metrics') });
}
process.stdout.write('VIGIL_INGEST_READY\n');
log.info({ batchMaxRows: config.batchMaxRows, flushIntervalMs: config.flushIntervalMs, partition: config.partition }, 'ingest running');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal, stats: ingest.stats() }, 'stopping');
  // HTTP first: writes in flight still get their commit (and their 204) before the batcher closes.
  await http?.close();
  await ingest.close();
  await mirror?.close();
  await metricsServer?.close();
  await jobRunner.close();
  await pool.end();
  await embedded?.close();
  process.exit(0);
};
process.on('SIGINT', (s) => void stop(s));
process.on('SIGTERM', (s) => void stop(s));
