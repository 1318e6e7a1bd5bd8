import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import type { ServiceSecrets } from './service-accounts.js';
import { parseLimitsEnv } from './limits/env.js';
import type { BrokerLimits } from './limits/options.js';
import type { BrokerPersistence } from './broker.js';

/** The environment to read settings from; `main.ts` passes `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** sysexits.h EX_CONFIG: what `main.ts` exits with when a setting is bad. */
export const CONFIG_EXIT_CODE = 78;

/** The broker's settings, validated. */
export interface BrokerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  secrets: ServiceSecrets;
  allowAnonymous: boolean;
  /** MQTT over TLS, when VIGIL_MQTT_TLS_PORT is set: the port and the PEM files to read (see readTlsFiles). */
  tls?: TlsFileConfig;
  /** MQTT over WebSocket, when VIGIL_MQTT_WS_PORT is set. */
  wsPort?: number;
  /** VIGIL_REDIS_URL: share state with other broker processes through this Redis (see docs/scaling.md). */
  redisUrl?: string;
  /** VIGIL_BROKER_PERSISTENCE: `memory` (default) or `sqlite:/path/to/file` (sessions survive a killed broker; docs/broker-persistence.md). */
  persistence: BrokerPersistence;
  /** VIGIL_BROKER_METRICS_PORT: serve Prometheus /metrics and /healthz on this port (loopback only). */
  metricsPort?: number;
  /** Limits set by VIGIL_MQTT_MAX_PACKET_BYTES, VIGIL_MQTT_MAX_MSGS_PER_SEC or VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC, when any is; the rest take their defaults. */
  limits?: Partial<BrokerLimits>;
}

/** Where the TLS listener's PEM files are. */
export interface TlsFileConfig {
  port: number;
  certFile: string;
  keyFile: string;
  caFile: string;
}

const bilingual = (name: string, en: string, zh: string): string => `${name}: ${en} / 配置项 ${name}：${zh}`;

function optional(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function secret(env: Env, name: string): string | undefined {
  const v = optional(env, name);
  // a short shared secret is guessable online; refuse it rather than run weakly
  if (v !== undefined && v.length < 16) throw new ConfigError(name, bilingual(name, 'must be at least 16 characters', '至少需要 16 个字符'));
  return v;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = optional(env, name)?.toLowerCase();
  if (v === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, bilingual(name, `must be true or false, got ${JSON.stringify(v)}`, `必须是 true 或 false，当前为 ${JSON.stringify(v)}`));
}

function portNumber(name: string, raw: string): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new ConfigError(name, bilingual(name, `must be a port 0-65535, got ${JSON.stringify(raw)}`, `必须是 0-65535 的端口，当前为 ${JSON.stringify(raw)}`));
  }
  return port;
}

function required(env: Env, name: string, because: string, becauseZh: string): string {
  const v = optional(env, name);
  if (v === undefined) throw new ConfigError(name, bilingual(name, `is required when ${because}`, `设置 ${becauseZh} 时必须设置`));
  return v;
}

function tlsConfig(env: Env): TlsFileConfig | undefined {
  const rawPort = optional(env, 'VIGIL_MQTT_TLS_PORT');
  if (rawPort === undefined) return undefined;
  const port = portNumber('VIGIL_MQTT_TLS_PORT', rawPort);
  const file = (name: string) => required(env, name, 'VIGIL_MQTT_TLS_PORT is set', 'VIGIL_MQTT_TLS_PORT');
  return { port, certFile: file('VIGIL_MQTT_TLS_CERT'), keyFile: file('VIGIL_MQTT_TLS_KEY'), caFile: file('VIGIL_MQTT_TLS_CA') };
}

/** Read the TLS listener's PEM files; throws ConfigError naming the variable and the file that cannot be read. */
export function readTlsFiles(tls: TlsFileConfig): { port: number; certPem: string; keyPem: string; caPem: string } {
  const read = (name: string, path: string): string => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError(name, bilingual(name, `cannot read file ${JSON.stringify(path)} (${reason})`, `无法读取文件 ${JSON.stringify(path)}（${reason}）`));
    }
    if (!text.includes('-----BEGIN ')) throw new ConfigError(name, bilingual(name, `file ${JSON.stringify(path)} is not PEM`, `文件 ${JSON.stringify(path)} 不是 PEM 格式`));
    return text;
  };
  return {
    port: tls.port,
    certPem: read('VIGIL_MQTT_TLS_CERT', tls.certFile),
    keyPem: read('VIGIL_MQTT_TLS_KEY', tls.keyFile),
    caPem: read('VIGIL_MQTT_TLS_CA', tls.caFile),
  };
}

/** Read and validate the broker's environment; throws ConfigError naming the bad variable. */
export function parseBrokerConfig(env: Env): BrokerConfig {
  const port = portNumber('VIGIL_MQTT_PORT', optional(env, 'VIGIL_MQTT_PORT') ?? '1883');
  const host = optional(env, 'VIGIL_MQTT_HOST') ?? '127.0.0.1';
  const databaseUrl = optional(env, 'DATABASE_URL');
  if (databaseUrl === undefined) throw new ConfigError('DATABASE_URL', bilingual('DATABASE_URL', 'is required but not set', '必须设置'));
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', bilingual('DATABASE_URL', 'must be a postgres:// or postgresql:// URL', '必须是 postgres:// 或 postgresql:// 地址'));
  }
  return {
    port,
    host,
    databaseUrl,
    secrets: {
      ingest: secret(env, 'VIGIL_INGEST_MQTT_SECRET'),
      analytics: secret(env, 'VIGIL_ANALYTICS_MQTT_SECRET'),
      commandCenter: secret(env, 'VIGIL_COMMAND_CENTER_MQTT_SECRET'),
    },
    allowAnonymous: bool(env, 'VIGIL_MQTT_ALLOW_ANONYMOUS', false),
    ...optionalListeners(env),
    ...parseLimitsEnv(env),
    ...redisConfig(env),
    persistence: persistenceConfig(env),
    ...metricsConfig(env),
  };
}

function persistenceConfig(env: Env): BrokerPersistence {
  const name = 'VIGIL_BROKER_PERSISTENCE';
  const raw = optional(env, name) ?? 'memory';
  if (raw === 'memory') return { kind: 'memory' };
  const file = raw.startsWith('sqlite:') ? raw.slice('sqlite:'.length) : '';
  if (file === '') {
    throw new ConfigError(
      name,
      bilingual(name, `must be memory or sqlite:/path/to/file, got ${JSON.stringify(raw)}`, `必须是 memory 或 sqlite:/文件路径，当前为 ${JSON.stringify(raw)}`),
    );
  }
  if (optional(env, 'VIGIL_REDIS_URL') !== undefined) {
    throw new ConfigError(name, bilingual(name, 'cannot be combined with VIGIL_REDIS_URL (a cluster keeps sessions in Redis)', '不能与 VIGIL_REDIS_URL 同时使用（集群的会话保存在 Redis 中）'));
  }
  return { kind: 'sqlite', file };
}

function optionalListeners(env: Env): Pick<BrokerConfig, 'tls' | 'wsPort'> {
  const tls = tlsConfig(env);
  const rawWs = optional(env, 'VIGIL_MQTT_WS_PORT');
  return { ...(tls !== undefined ? { tls } : {}), ...(rawWs !== undefined ? { wsPort: portNumber('VIGIL_MQTT_WS_PORT', rawWs) } : {}) };
}

function redisConfig(env: Env): Pick<BrokerConfig, 'redisUrl'> {
  const raw = optional(env, 'VIGIL_REDIS_URL');
  if (raw === undefined) return {};
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // the value is not echoed: it may hold the Redis password
  if (url === undefined || !['redis:', 'rediss:'].includes(url.protocol) || url.hostname === '' || !/^(\/\d*)?$/.test(url.pathname)) {
    throw new ConfigError(
      'VIGIL_REDIS_URL',
      bilingual('VIGIL_REDIS_URL', 'must be a URL like redis://[user:password@]host:6379[/db] or rediss://...', '必须是 redis://[用户:密码@]主机:6379[/库号] 或 rediss://... 形式的地址'),
    );
  }
  return { redisUrl: raw };
}

function metricsConfig(env: Env): Pick<BrokerConfig, 'metricsPort'> {
  const raw = optional(env, 'VIGIL_BROKER_METRICS_PORT');
  return raw === undefined ? {} : { metricsPort: portNumber('VIGIL_BROKER_METRICS_PORT', raw) };
}
