import { fileURLToPath } from 'node:url';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { boolEnv, ConfigError, createPool, intEnv, migrate, optionalEnv, readConfigOrExit, urlEnv } from '@vigil/ingest';
import { ROLES, type Role } from './access/roles.js';
import { passwordProblem } from './auth/passwords.js';
import { DEFAULT_SECURITY } from './context.js';
import { createLogger } from './logger.js';
import { readNotifyConfig } from './notifications/index.js';
import { seedDemoUsers } from './seed-users.js';
import { parseServiceEndpoints } from './service-probe.js';
import { startCommandCenter } from './server.js';

const passwordEnv = (name: string, username: string): string | undefined => {
  const raw = optionalEnv(name);
  const problem = raw === undefined ? null : passwordProblem(raw, username);
  if (problem) throw new ConfigError(name, `${name}: ${problem} / 配置项 ${name}：密码不符合规则`);
  return raw;
};
const rolesEnv = (name: string, fallback: readonly Role[]): Role[] => {
  const raw = optionalEnv(name);
  if (raw === undefined) return [...fallback];
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((r) => !(ROLES as readonly string[]).includes(r));
  if (bad) throw new ConfigError(name, `${name}: unknown role ${JSON.stringify(bad)} (${ROLES.join(', ')}) / 配置项 ${name}：未知角色`);
  if (!list.includes('administrator')) throw new ConfigError(name, `${name}: administrator must always need a second factor / 配置项 ${name}：管理员必须使用双重验证`);
  return list as Role[];
};
const serviceEndpointsEnv = (name: string) => {
  try {
    return parseServiceEndpoints(optionalEnv(name, '') ?? '');
  } catch (err) {
    throw new ConfigError(name, `${name}: ${(err as Error).message} / 配置项 ${name}：格式应为 name=http://host:port,…`);
  }
};
const minutes = (name: string, fallbackMs: number, max: number): number => intEnv(name, fallbackMs / 60_000, { min: 1, max }) * 60_000;

// The only place that reads process.env (conventions): validate, then hand a typed object down.
const config = readConfigOrExit(() => {
  const adminUsername = optionalEnv('VIGIL_ADMIN_USERNAME', 'admin');
  const operatorUsername = optionalEnv('VIGIL_OPERATOR_USERNAME', 'operator');
  return {
    port: intEnv('VIGIL_HTTP_PORT', 8080, { min: 0, max: 65_535 }),
    host: optionalEnv('VIGIL_HTTP_HOST', '127.0.0.1'),
    databaseUrl: urlEnv('DATABASE_URL', { protocols: ['postgres:', 'postgresql:'] }),
    mqttUrl: urlEnv('VIGIL_MQTT_URL', { protocols: ['mqtt:', 'mqtts:', 'ws:', 'wss:'] }),
    mqttUsername: optionalEnv('VIGIL_MQTT_USERNAME'),
    mqttPassword: optionalEnv('VIGIL_MQTT_PASSWORD'),
    publicDir: optionalEnv('VIGIL_PUBLIC_DIR', fileURLToPath(new URL('../public', import.meta.url))),
    ffmpegPath: optionalEnv('VIGIL_FFMPEG_PATH', ffmpegInstaller.path),
    security: {
      sessionIdleMs: minutes('VIGIL_SESSION_IDLE_MINUTES', DEFAULT_SECURITY.sessionIdleMs, 24 * 60),
      sessionMaxMs: minutes('VIGIL_SESSION_MAX_MINUTES', DEFAULT_SECURITY.sessionMaxMs, 7 * 24 * 60),
      lockoutThreshold: intEnv('VIGIL_LOCKOUT_THRESHOLD', DEFAULT_SECURITY.lockoutThreshold, { min: 1, max: 100 }),
      lockoutMs: minutes('VIGIL_LOCKOUT_MINUTES', DEFAULT_SECURITY.lockoutMs, 24 * 60),
      totpRequiredRoles: rolesEnv('VIGIL_TOTP_REQUIRED_ROLES', DEFAULT_SECURITY.totpRequiredRoles),
      cookieSecure: boolEnv('VIGIL_COOKIE_SECURE', false),
      rateLimitPerUser: intEnv('VIGIL_RATE_LIMIT_PER_USER', DEFAULT_SECURITY.rateLimitPerUser, { min: 1, max: 10_000_000 }),
      rateLimitPerAddress: intEnv('VIGIL_RATE_LIMIT_PER_ADDRESS', DEFAULT_SECURITY.rateLimitPerAddress, { min: 1, max: 10_000_000 }),
      loginRateLimitPerAddress: intEnv('VIGIL_LOGIN_RATE_LIMIT', DEFAULT_SECURITY.loginRateLimitPerAddress, { min: 1, max: 100_000 }),
      bodyLimitBytes: intEnv('VIGIL_HTTP_MAX_BODY_BYTES', DEFAULT_SECURITY.bodyLimitBytes, { min: 1024, max: 64 * 1024 * 1024 }),
    },
    // Notifications run when their link secret is set (docs/notifications.md); a bad setting names itself.
    notify: optionalEnv('VIGIL_NOTIFY_LINK_SECRET') !== undefined ? readNotifyConfig(process.env) : undefined,
    serviceEndpoints: serviceEndpointsEnv('VIGIL_SERVICE_ENDPOINTS'),
    snapshotDir: optionalEnv('VIGIL_SNAPSHOT_DIR', 'data/snapshots'),
    bootstrapUsers: boolEnv('VIGIL_BOOTSTRAP_USERS', true),
    demoUsers: {
      adminUsername,
      operatorUsername,
      ...(optionalEnv('VIGIL_ADMIN_PASSWORD') !== undefined ? { adminPassword: passwordEnv('VIGIL_ADMIN_PASSWORD', adminUsername)! } : {}),
      ...(optionalEnv('VIGIL_ADMIN_TOTP_SECRET') !== undefined ? { adminTotpSecret: optionalEnv('VIGIL_ADMIN_TOTP_SECRET')! } : {}),
      ...(optionalEnv('VIGIL_OPERATOR_PASSWORD') !== undefined ? { operatorPassword: passwordEnv('VIGIL_OPERATOR_PASSWORD', operatorUsername)! } : {}),
    },
  };
});
if (config.demoUsers.adminTotpSecret !== undefined && !/^[A-Z2-7]{16,}$/.test(config.demoUsers.adminTotpSecret)) {
  process.stderr.write('VIGIL_ADMIN_TOTP_SECRET: must be base32 (A-Z, 2-7), at least 16 characters / 配置项 VIGIL_ADMIN_TOTP_SECRET：必须为 base32 格式\n');
  process.exit(78);
}

/** Longest wait at start for the broker to grant the alert subscription before we say ready. */
const SUBSCRIBE_WAIT_MS = 10_000;

const log = createLogger('command-center');
const pool = createPool(config.databaseUrl);
// Idempotent and serialised by a table lock, so every service may run it at start (audit_log is 005).
await migrate(pool);
if (config.bootstrapUsers) {
  // First start only (no user at all): an administrator and an operator at the top of the tree, shown once.
  for (const u of await seedDemoUsers(pool, config.demoUsers)) {
    process.stdout.write(
      `VIGIL_FIRST_LOGIN ${u.role} user=${u.username} password=${u.password}${u.totpSecret ? ` totp_secret=${u.totpSecret} (${u.totpUri})` : ''}` +
        ` — shown once, change it after signing in / 仅显示一次，登录后请修改\n`,
    );
  }
}
const center = await startCommandCenter({
  port: config.port,
  host: config.host,
  pool,
  mqttUrl: config.mqttUrl,
  ...(config.mqttUsername !== undefined ? { mqttUsername: config.mqttUsername } : {}),
  ...(config.mqttPassword !== undefined ? { mqttPassword: config.mqttPassword } : {}),
  publicDir: config.publicDir,
  ffmpegPath: config.ffmpegPath,
  security: config.security,
  ...(config.notify !== undefined ? { notify: config.notify } : {}),
  serviceEndpoints: config.serviceEndpoints,
  ...(config.snapshotDir !== undefined ? { snapshotDir: config.snapshotDir } : {}),
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
if (config.notify === undefined) log.warn('notifications off: VIGIL_NOTIFY_LINK_SECRET is not set (docs/notifications.md)');
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
