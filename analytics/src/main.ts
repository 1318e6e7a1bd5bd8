import { createPool, intEnv, optionalEnv, partitionEnv, readConfigOrExit, requiredEnv, urlEnv } from '@vigil/ingest';
import { createLogger } from './logger.js';
import { startAnalytics } from './service.js';

const log = createLogger('main');

const config = readConfigOrExit(() => ({
  databaseUrl: urlEnv('DATABASE_URL', { protocols: ['postgres:', 'postgresql:'] }),
  mqttUrl: urlEnv('VIGIL_MQTT_URL', { protocols: ['mqtt:', 'mqtts:', 'ws:', 'wss:'] }),
  mqttUsername: requiredEnv('VIGIL_MQTT_USERNAME'),
  mqttPassword: requiredEnv('VIGIL_MQTT_PASSWORD'),
  clientId: optionalEnv('VIGIL_ANALYTICS_CLIENT_ID', 'vigil-analytics'),
  zonesRefreshMs: intEnv('VIGIL_ANALYTICS_ZONES_REFRESH_MS', 30_000, { min: 1000, max: 86_400_000 }),
  minFixesInside: intEnv('VIGIL_ANALYTICS_MIN_FIXES_INSIDE', 1, { min: 1, max: 100 }),
  partition: partitionEnv('VIGIL_ANALYTICS_PARTITION'),
  tickMs: intEnv('VIGIL_ANALYTICS_TICK_MS', 1000, { min: 10, max: 60_000 }),
  snapshotIntervalMs: intEnv('VIGIL_ANALYTICS_SNAPSHOT_MS', 10_000, { min: 100, max: 3_600_000 }),
  replayLookbackMs: intEnv('VIGIL_ANALYTICS_REPLAY_LOOKBACK_S', 3600, { min: 0, max: 30 * 86_400 }) * 1000,
  escalateAfterMs: intEnv('VIGIL_ANALYTICS_ESCALATE_AFTER_S', 600, { min: 0, max: 7 * 86_400 }) * 1000,
  sweepMs: intEnv('VIGIL_ANALYTICS_SWEEP_MS', 5000, { min: 100, max: 3_600_000 }),
}));

const pool = createPool(config.databaseUrl);
const service = await startAnalytics({ ...config, pool, retryDelayMs: 1000 });
process.stdout.write('VIGIL_ANALYTICS_READY\n');
log.info('analytics running');

const stop = () => {
  service
    .close()
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
