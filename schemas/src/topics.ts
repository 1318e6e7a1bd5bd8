import { isValidId } from './ids.js';

/** Root of every Vigil topic, with the protocol version. */
export const TOPIC_ROOT = 'vigil/v1';

/** What a device publishes under `vigil/v1/<site>/<device>/<channel>`. */
export type DeviceChannel = 'telemetry' | 'event' | 'status' | 'lp';

/** A parsed topic. */
export type ParsedTopic =
  | { kind: 'device'; site: string; device: string; channel: DeviceChannel }
  | { kind: 'command'; site: string; device: string; name: string }
  | { kind: 'command-result'; site: string; device: string; name: string }
  | { kind: 'alerts'; site: string };

const DEVICE_CHANNELS: readonly string[] = ['telemetry', 'event', 'status', 'lp'];

/** `vigil/v1/<site>/<device>/<channel>` */
export function deviceTopic(site: string, device: string, channel: DeviceChannel): string {
  assertId('site', site);
  assertId('device', device);
  return `${TOPIC_ROOT}/${site}/${device}/${channel}`;
}

/** `vigil/v1/<site>/<device>/cmd/<name>` */
export function commandTopic(site: string, device: string, name: string): string {
  assertId('site', site);
  assertId('device', device);
  assertId('command', name);
  return `${TOPIC_ROOT}/${site}/${device}/cmd/${name}`;
}

/** `vigil/v1/<site>/alerts` */
export function alertsTopic(site: string): string {
  assertId('site', site);
  return `${TOPIC_ROOT}/${site}/alerts`;
}

/** The subscription filter for every device topic of one channel at every site. */
export function channelFilter(channel: DeviceChannel): string {
  return `${TOPIC_ROOT}/+/+/${channel}`;
}

/** The subscription filter for alerts at every site. */
export const ALL_ALERTS_FILTER = `${TOPIC_ROOT}/+/alerts`;

/** The topic prefix a device may publish under (its own subtree). */
export function devicePrefix(site: string, device: string): string {
  return `${TOPIC_ROOT}/${site}/${device}/`;
}

/** Parse a Vigil topic, or return `null` if it is not one. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts[0] !== 'vigil' || parts[1] !== 'v1') return null;
  const site = parts[2];
  if (site === undefined || !isValidId(site)) return null;
  if (parts.length === 4 && parts[3] === 'alerts') return { kind: 'alerts', site };
  const device = parts[3];
  if (device === undefined || !isValidId(device)) return null;
  if (parts.length === 5) {
    const channel = parts[4]!;
    return DEVICE_CHANNELS.includes(channel) ? { kind: 'device', site, device, channel: channel as DeviceChannel } : null;
  }
  const name = parts[5];
  if (parts[4] !== 'cmd' || name === undefined || !isValidId(name)) return null;
  if (parts.length === 6) return { kind: 'command', site, device, name };
  if (parts.length === 7 && parts[6] === 'res') return { kind: 'command-result', site, device, name };
  return null;
}

function assertId(what: string, value: string): void {
  if (!isValidId(value)) throw new TypeError(`invalid ${what} id ${JSON.stringify(value)}: must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}`);
}
