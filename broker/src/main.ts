import { createPool } from '@vigil/ingest';
import { startBroker } from './broker.js';
import { CONFIG_EXIT_CODE, parseBrokerConfig, readTlsFiles, type BrokerConfig } from './config.js';
import { BrokerError, ConfigError } from './errors.js';
import { createLogger } from './logger.js';
import { serviceAccounts } from './service-accounts.js';

const log = createLogger('main');

function readConfig(): BrokerConfig & { tlsPem?: ReturnType<typeof readTlsFiles> } {
  try {
    const config = parseBrokerConfig(process.env);
    return config.tls === undefined ? config : { ...config, tlsPem: readTlsFiles(config.tls) };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(CONFIG_EXIT_CODE);
    }
    throw err;
  }
}

const config = readConfig();
const pool = createPool(config.databaseUrl, { onIdleError: (err) => log.warn({ err }, 'idle database connection failed / 空闲数据库连接失败') });
const services = serviceAccounts(config.secrets);
for (const [name, variable] of [
  ['svc-ingest', 'VIGIL_INGEST_MQTT_SECRET'],
  ['svc-analytics', 'VIGIL_ANALYTICS_MQTT_SECRET'],
  ['svc-command-center', 'VIGIL_COMMAND_CENTER_MQTT_SECRET'],
] as const) {
  if (!services.some((s) => s.username === name)) log.warn({ account: name, variable }, 'service account disabled: secret not set / 服务账户已禁用：未设置密钥');
}

const broker = await startBroker({
  persistence: config.persistence,
  port: config.port,
  host: config.host,
  pool,
  services,
  allowAnonymous: config.allowAnonymous,
  ...(config.tlsPem !== undefined ? { tls: config.tlsPem } : {}),
  ...(config.wsPort !== undefined ? { ws: { port: config.wsPort } } : {}),
  ...(config.redisUrl !== undefined ? { redis: { url: config.redisUrl } } : {}),
  ...(config.metricsPort !== undefined ? { metricsPort: config.metricsPort } : {}),
  ...(config.limits !== undefined ? { limits: config.limits } : {}),
  logger: createLogger('broker'),
}).catch((err: unknown) => {
  // a session file that cannot be used is a bad setting: say which, and do not restart in a loop
  if (err instanceof BrokerError && err.code === 'VIGIL_BROKER_PERSISTENCE') {
    process.stderr.write(`VIGIL_BROKER_PERSISTENCE: ${err.message}\n`);
    process.exit(CONFIG_EXIT_CODE);
  }
  throw err;
});
// the start script waits for this exact line
process.stdout.write(`VIGIL_BROKER_READY ${broker.port}\n`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down / 正在关闭');
  await broker.close();
  await pool.end();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
