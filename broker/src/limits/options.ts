import { ConfigError } from '../errors.js';

/** Per-client and per-address limits the broker enforces; a client over one is disconnected, logged and counted. */
export interface BrokerLimits {
  /** Largest MQTT packet accepted, fixed header included, in bytes; checked on the header, before the body is buffered. Default 262 144 (256 KiB). */
  maxPacketBytes: number;
  /** Longest topic name or filter in a PUBLISH, SUBSCRIBE or will, in UTF-8 bytes. Default 256. */
  maxTopicBytes: number;
  /** Most levels (`/`-separated parts) in a topic name or filter; at most 100. Default 12. */
  maxTopicLevels: number;
  /** New connections each source address (an IPv6 /64) gains per second. Default 20. */
  connectionsPerIpPerSecond: number;
  /** Connections one address may open at once after a quiet spell. Default twice connectionsPerIpPerSecond. */
  connectionBurstPerIp: number;
  /** PUBLISH packets each client gains per second. Default 1 000. */
  messagesPerClientPerSecond: number;
  /** PUBLISH packets a client may send at once after a quiet spell (a reconnecting gateway flushing its queue). Default twice messagesPerClientPerSecond. */
  messageBurstPerClient: number;
  /** Inbound QoS 2 PUBLISHes one client may have awaiting PUBREL. Default 100. */
  maxInflightPerClient: number;
  /** Packets a client may send before its CONNACK (they wait while it authenticates). Default 42. */
  maxQueuedPacketsPerClient: number;
  /** How long a client's socket may stay too full to write to before the client is dropped as a slow consumer, in ms. Default 30 000. */
  slowConsumerDrainTimeoutMs: number;
}

/** The largest packet MQTT 3.1.1 can express: 1 type byte, 4 length bytes, 268 435 455 body bytes [MQTT-2.2.3]. */
export const MQTT_MAX_PACKET_BYTES = 268_435_460;

/** Aedes (through qlobber) cannot match topics deeper than this. */
export const MAX_TOPIC_LEVELS_CEILING = 100;

const BASE = {
  maxPacketBytes: 256 * 1_024,
  maxTopicBytes: 256,
  maxTopicLevels: 12,
  connectionsPerIpPerSecond: 20,
  messagesPerClientPerSecond: 1_000,
  maxInflightPerClient: 100,
  maxQueuedPacketsPerClient: 42,
  slowConsumerDrainTimeoutMs: 30_000,
} as const;

/** The whole-number range each limit must lie in. */
export const LIMIT_RANGES: Readonly<Record<keyof BrokerLimits, readonly [min: number, max: number]>> = {
  // a CONNECT with a short client id and credentials needs a few dozen bytes; less than 64 would refuse it
  maxPacketBytes: [64, MQTT_MAX_PACKET_BYTES],
  maxTopicBytes: [1, 65_535],
  maxTopicLevels: [1, MAX_TOPIC_LEVELS_CEILING],
  connectionsPerIpPerSecond: [1, 1_000_000],
  connectionBurstPerIp: [1, 1_000_000],
  messagesPerClientPerSecond: [1, 10_000_000],
  messageBurstPerClient: [1, 10_000_000],
  // MQTT packet identifiers are 16-bit, so no more than 65 535 can be in flight [MQTT-2.3.1]
  maxInflightPerClient: [1, 65_535],
  maxQueuedPacketsPerClient: [1, 100_000],
  slowConsumerDrainTimeoutMs: [1, 3_600_000],
};

/** Fill in defaults and check every limit is a whole number in range; throws ConfigError naming the option. */
export function resolveLimits(given: Partial<BrokerLimits>): BrokerLimits {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<BrokerLimits>;
  const merged = { ...BASE, ...defined };
  const limits: BrokerLimits = {
    ...merged,
    connectionBurstPerIp: defined.connectionBurstPerIp ?? Math.min(2 * merged.connectionsPerIpPerSecond, LIMIT_RANGES.connectionBurstPerIp[1]),
    messageBurstPerClient: defined.messageBurstPerClient ?? Math.min(2 * merged.messagesPerClientPerSecond, LIMIT_RANGES.messageBurstPerClient[1]),
  };
  for (const [name, [min, max]] of Object.entries(LIMIT_RANGES) as [keyof BrokerLimits, readonly [number, number]][]) {
    const value = limits[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(
        `limits.${name}`,
        `limits.${name}: must be a whole number from ${min} to ${max}, got ${String(value)} / 限制项 limits.${name}：必须是 ${min} 到 ${max} 的整数，当前为 ${String(value)}`,
      );
    }
  }
  return limits;
}

/** The limits used when none are given. */
export const DEFAULT_LIMITS: Readonly<BrokerLimits> = resolveLimits({});
