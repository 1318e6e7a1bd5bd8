import { ConfigError, intEnv, optionalEnv, requiredEnv, urlEnv, type Env } from '@vigil/ingest';
import { createEmailChannel } from './channels/email.js';
import { createInAppChannel, type InAppChannel } from './channels/in-app.js';
import { createMqttChannel } from './channels/mqtt.js';
import { createSmppChannel } from './channels/sms-smpp.js';
import { createWebhookChannel, type WebhookEndpoint } from './channels/webhook.js';
import type { Channel } from './types.js';

/** The notification settings, read from the environment by `main.ts` (see `readNotifyConfig`). */
export interface NotifyConfig {
  linkBaseUrl: string;
  linkSecret: Buffer;
  linkTtlMs: number;
  smtp: { host: string; port: number; from: string; user?: string; password?: string; secure: boolean } | null;
  smpp: { url: string; systemId: string; password: string; sourceAddr: string } | null;
  webhooks: Record<string, WebhookEndpoint>;
  mqtt: { url: string; username?: string; password?: string } | null;
  maxPerMinute: number;
  groupWindowMs: number;
}

/**
 * Read the settings; a bad one is a `ConfigError` naming it (exit 78 through
 * `readConfigOrExit`). A channel whose settings are absent is simply not run.
 * - VIGIL_NOTIFY_LINK_BASE (URL the phone opens), VIGIL_NOTIFY_LINK_SECRET (≥ 32 characters), VIGIL_NOTIFY_LINK_TTL_MS
 * - VIGIL_SMTP_HOST, VIGIL_SMTP_PORT (587), VIGIL_SMTP_FROM, VIGIL_SMTP_USER, VIGIL_SMTP_PASSWORD, VIGIL_SMTP_SECURE (0/1)
 * - VIGIL_SMPP_URL (smpp://host:2775), VIGIL_SMPP_SYSTEM_ID, VIGIL_SMPP_PASSWORD, VIGIL_SMPP_SOURCE
 * - VIGIL_WEBHOOKS: name=url|secret, comma-separated
 * - VIGIL_NOTIFY_MQTT_URL (default: none) with VIGIL_NOTIFY_MQTT_USERNAME / _PASSWORD
 * - VIGIL_NOTIFY_MAX_PER_MINUTE (6), VIGIL_NOTIFY_GROUP_WINDOW_MS (30 000)
 */
export function readNotifyConfig(env: Env): NotifyConfig {
  const secret = requiredEnv('VIGIL_NOTIFY_LINK_SECRET', env);
  if (secret.length < 32) throw new ConfigError('VIGIL_NOTIFY_LINK_SECRET', 'VIGIL_NOTIFY_LINK_SECRET: at least 32 characters / 配置项 VIGIL_NOTIFY_LINK_SECRET：至少 32 个字符');
  const smtpHost = optionalEnv('VIGIL_SMTP_HOST', undefined, env);
  const smppUrl = optionalEnv('VIGIL_SMPP_URL', undefined, env);
  const mqttUrl = optionalEnv('VIGIL_NOTIFY_MQTT_URL', undefined, env);
  const webhooks: Record<string, WebhookEndpoint> = {};
  for (const item of (optionalEnv('VIGIL_WEBHOOKS', '', env) ?? '').split(',').filter(Boolean)) {
    const m = /^([A-Za-z0-9_.-]+)=(https?:\/\/[^|]+)\|(.{16,})$/.exec(item.trim());
    if (!m) throw new ConfigError('VIGIL_WEBHOOKS', `VIGIL_WEBHOOKS: "${item}" is not name=url|secret (secret ≥ 16 characters) / 配置项 VIGIL_WEBHOOKS：格式应为 name=url|secret`);
    webhooks[m[1]!] = { url: m[2]!, secret: m[3]! };
  }
  return {
    linkBaseUrl: urlEnv('VIGIL_NOTIFY_LINK_BASE', { protocols: ['http:', 'https:'], fallback: 'http://localhost:8080' }, env),
    linkSecret: Buffer.from(secret, 'utf8'),
    linkTtlMs: intEnv('VIGIL_NOTIFY_LINK_TTL_MS', 86_400_000, { min: 60_000 }, env),
    smtp: smtpHost
      ? {
          host: smtpHost,
          port: intEnv('VIGIL_SMTP_PORT', 587, { min: 1, max: 65535 }, env),
          from: requiredEnv('VIGIL_SMTP_FROM', env),
          secure: intEnv('VIGIL_SMTP_SECURE', 0, { min: 0, max: 1 }, env) === 1,
          ...(optionalEnv('VIGIL_SMTP_USER', undefined, env) ? { user: optionalEnv('VIGIL_SMTP_USER', undefined, env)!, password: optionalEnv('VIGIL_SMTP_PASSWORD', '', env) } : {}),
        }
      : null,
    smpp: smppUrl
      ? {
          url: urlEnv('VIGIL_SMPP_URL', { protocols: ['smpp:', 'ssmpp:'] }, env),
          systemId: requiredEnv('VIGIL_SMPP_SYSTEM_ID', env),
          password: requiredEnv('VIGIL_SMPP_PASSWORD', env),
          sourceAddr: requiredEnv('VIGIL_SMPP_SOURCE', env),
        }
      : null,
    webhooks,
    mqtt: mqttUrl
      ? {
          url: urlEnv('VIGIL_NOTIFY_MQTT_URL', { protocols: ['mqtt:', 'mqtts:'] }, env),
          ...(optionalEnv('VIGIL_NOTIFY_MQTT_USERNAME', undefined, env) ? { username: optionalEnv('VIGIL_NOTIFY_MQTT_USERNAME', undefined, env)!, password: optionalEnv('VIGIL_NOTIFY_MQTT_PASSWORD', '', env) } : {}),
        }
      : null,
    maxPerMinute: intEnv('VIGIL_NOTIFY_MAX_PER_MINUTE', 6, { min: 1, max: 1000 }, env),
    groupWindowMs: intEnv('VIGIL_NOTIFY_GROUP_WINDOW_MS', 30_000, { min: 0, max: 3_600_000 }, env),
  };
}

/** The channels the settings describe (in-app always). */
export function channelsFor(cfg: NotifyConfig): { channels: Channel[]; inApp: InAppChannel } {
  const inApp = createInAppChannel();
  const channels: Channel[] = [inApp];
  if (cfg.smtp) channels.push(createEmailChannel({ ...cfg.smtp, ignoreTls: false }));
  if (cfg.smpp) channels.push(createSmppChannel(cfg.smpp));
  if (Object.keys(cfg.webhooks).length) channels.push(createWebhookChannel(cfg.webhooks));
  if (cfg.mqtt) channels.push(createMqttChannel(cfg.mqtt));
  return { channels, inApp };
}
