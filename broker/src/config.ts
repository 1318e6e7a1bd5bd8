import { ConfigError } from './errors.js';
import type { ServiceSecrets } from './service-accounts.js';

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

/** Read and validate the broker's environment; throws ConfigError naming the bad variable. */
export function parseBrokerConfig(env: Env): BrokerConfig {
  const rawPort = optional(env, 'VIGIL_MQTT_PORT') ?? '1883';
  const port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new ConfigError('VIGIL_MQTT_PORT', bilingual('VIGIL_MQTT_PORT', `must be a port 0-65535, got ${JSON.stringify(rawPort)}`, `必须是 0-65535 的端口，当前为 ${JSON.stringify(rawPort)}`));
  }
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
  };
}
