import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { AgentConfig } from './config-schema.js';
import { ConfigError } from './errors.js';

/** How the agent proves who it is: a secret, a client certificate, or both. */
export interface Credentials {
  secret?: string;
  tls?: { ca: string; cert?: string; key?: string };
}

function readKeyFile(key: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(key, `${key}: cannot read ${file}: ${(err as Error).message} / 配置项 ${key}：无法读取文件`);
  }
}

/** Read the secret (`envSecret` first, then `broker.secret_file`) and the TLS files the config names. */
export function readCredentials(config: AgentConfig, envSecret: string | undefined): Credentials {
  const b = config.broker;
  const secret = envSecret ?? (b.secret_file !== undefined ? readKeyFile('broker.secret_file', b.secret_file).trim() : undefined);
  const creds: Credentials = {};
  if (secret !== undefined && secret !== '') creds.secret = secret;
  if (b.tls !== undefined) {
    if ((b.tls.cert_file === undefined) !== (b.tls.key_file === undefined)) {
      const key = b.tls.cert_file === undefined ? 'broker.tls.cert_file' : 'broker.tls.key_file';
      throw new ConfigError(key, `${key}: is required with the other half of the client certificate / 配置项 ${key}：客户端证书与私钥必须同时提供`);
    }
    creds.tls = {
      ca: readKeyFile('broker.tls.ca_file', b.tls.ca_file),
      ...(b.tls.cert_file !== undefined ? { cert: readKeyFile('broker.tls.cert_file', b.tls.cert_file) } : {}),
      ...(b.tls.key_file !== undefined ? { key: readKeyFile('broker.tls.key_file', b.tls.key_file) } : {}),
    };
  }
  if (creds.secret === undefined && creds.tls?.cert === undefined) {
    throw new ConfigError('broker.secret_file', 'broker.secret_file: is required (or VIGIL_EDGE_SECRET, or broker.tls.cert_file) / 配置项 broker.secret_file：必须提供密钥或客户端证书');
  }
  if (b.url.startsWith('mqtt://') && b.tls !== undefined) throw new ConfigError('broker.url', 'broker.url: must be mqtts:// when broker.tls is set / 配置项 broker.url：设置 TLS 时必须使用 mqtts://');
  return creds;
}

/**
 * mqtt.js options of the agent's one connection: its own id as client id and
 * username, clean session off (the broker keeps its command subscriptions and
 * the agent's unacknowledged publishes are sent again), MQTT 3.1.1.
 */
export function linkOptions(config: AgentConfig, creds: Credentials): IClientOptions {
  const b = config.broker;
  return {
    clientId: config.agent_id,
    username: config.agent_id,
    ...(creds.secret !== undefined ? { password: creds.secret } : {}),
    protocolVersion: 4,
    clean: false,
    keepalive: b.keepalive_s,
    reconnectPeriod: b.reconnect_ms,
    connectTimeout: 10_000,
    // the agent subscribes on every CONNACK itself (the device list may have changed meanwhile)
    resubscribe: false,
    ...(creds.tls !== undefined
      ? { ca: creds.tls.ca, ...(creds.tls.cert !== undefined ? { cert: creds.tls.cert, key: creds.tls.key } : {}), rejectUnauthorized: true }
      : {}),
  };
}
