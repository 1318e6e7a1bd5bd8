import { CONFIG_EXIT_CODE, intEnv, optionalEnv, readConfigOrExit, urlEnv } from './config.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-db.js';
import { startIngest } from './ingest.js';
import { createLogger } from './logger.js';
import { migrate } from './migrate.js';
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

const ingest = await startIngest({ ...config, pool, logger: createLogger('ingest') });
process.stdout.write('VIGIL_INGEST_READY\n');
log.info({ batchMaxRows: config.batchMaxRows, flushIntervalMs: config.flushIntervalMs }, 'ingest running');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal, stats: ingest.stats() }, 'stopping');
  await ingest.close();
  await pool.end();
  await embedded?.close();
  process.exit(0);
};
process.on('SIGINT', (s) => void stop(s));
process.on('SIGTERM', (s) => void stop(s));
