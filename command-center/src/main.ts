import { fileURLToPath } from 'node:url';
import { createPool, intEnv, migrate, optionalEnv, readConfigOrExit, urlEnv } from '@vigil/ingest';
import { createLogger } from './logger.js';
import { startCommandCenter } from './server.js';

// The only place that reads process.env (conventions): validate, then hand a typed object down.
const config = readConfigOrExit(() => ({
  port: intEnv('VIGIL_HTTP_PORT', 8080, { min: 0, max: 65_535 }),
  host: optionalEnv('VIGIL_HTTP_HOST', '127.0.0.1'),
  databaseUrl: urlEnv('DATABASE_URL', { protocols: ['postgres:', 'postgresql:'] }),
  mqttUrl: urlEnv('VIGIL_MQTT_URL', { protocols: ['mqtt:', 'mqtts:', 'ws:', 'wss:'] }),
  mqttUsername: optionalEnv('VIGIL_MQTT_USERNAME'),
  mqttPassword: optionalEnv('VIGIL_MQTT_PASSWORD'),
  publicDir: optionalEnv('VIGIL_PUBLIC_DIR', fileURLToPath(new URL('../public', import.meta.url))),
}));

/** Longest wait at start for the broker to grant the alert subscription before we say ready. */
const SUBSCRIBE_WAIT_MS = 10_000;

const log = createLogger('command-center');
const pool = createPool(config.databaseUrl);
// Idempotent and serialised by a table lock, so every service may run it at start (audit_log is 005).
await migrate(pool);
const center = await startCommandCenter({
  port: config.port,
  host: config.host,
  pool,
  mqttUrl: config.mqttUrl,
  ...(config.mqttUsername !== undefined ? { mqttUsername: config.mqttUsername } : {}),
  ...(config.mqttPassword !== undefined ? { mqttPassword: config.mqttPassword } : {}),
  publicDir: config.publicDir,
  logger: log,
});
// Ready means alerts published from now on reach the stream; a broker that is down only delays that
// (health says mqtt: false, the feed keeps retrying), it does not stop the API from serving.
let timer: NodeJS.Timeout | undefined;
const subscribed = await Promise.race([
  center.alertFeed.whenSubscribed().then(() => true),
  new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), SUBSCRIBE_WAIT_MS))),
]);
clearTimeout(timer);
if (!subscribed) log.warn({ waitedMs: SUBSCRIBE_WAIT_MS }, 'alert subscription not yet granted; serving without the live feed');
// One plain line for scripts and tests that wait for start-up (the rest of stdout is JSON logs).
process.stdout.write(`VIGIL_HTTP_READY ${center.port}\n`);

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  await center.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
