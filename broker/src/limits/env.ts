import { ConfigError } from '../errors.js';
import type { Env } from '../config.js';
import { LIMIT_RANGES, type BrokerLimits } from './options.js';

/** The environment variables that set limits, and the limit each sets. */
export const LIMIT_VARIABLES = {
  VIGIL_MQTT_MAX_PACKET_BYTES: 'maxPacketBytes',
  VIGIL_MQTT_MAX_MSGS_PER_SEC: 'messagesPerClientPerSecond',
  VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC: 'connectionsPerIpPerSecond',
} as const satisfies Record<string, keyof BrokerLimits>;

/** Read the limit variables that are set (none set: no `limits`); throws ConfigError naming a variable that is not a whole number in range. */
export function parseLimitsEnv(env: Env): { limits?: Partial<BrokerLimits> } {
  const limits: Partial<BrokerLimits> = {};
  for (const [name, limit] of Object.entries(LIMIT_VARIABLES)) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const [min, max] = LIMIT_RANGES[limit];
    const value = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= min && value <= max)) {
      throw new ConfigError(
        name,
        `${name}: must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)} / 配置项 ${name}：必须是 ${min} 到 ${max} 的整数，当前为 ${JSON.stringify(raw)}`,
      );
    }
    limits[limit] = value;
  }
  return Object.keys(limits).length === 0 ? {} : { limits };
}
