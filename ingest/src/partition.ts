import { optionalEnv, type Env } from './config.js';
import { ConfigError } from './errors.js';

/**
 * This process's share of the devices when several ingest processes run:
 * it stores the messages of the devices whose id hashes to `index` modulo `count`.
 */
export interface Partition {
  /** 0-based, below `count`. */
  index: number;
  /** How many ingest processes split the stream; 1 stores everything. */
  count: number;
}

/** More processes than this is a typo, not a deployment. */
export const MAX_PARTITIONS = 1024;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a of the UTF-8 bytes of `text`: stable across processes,
 * machines and Node versions (unlike any built-in object hash), and simple
 * enough to reimplement in another language that has to agree with it.
 */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** The partition (0 to count - 1) that stores the messages of `deviceId`. */
export function partitionOfDevice(deviceId: string, count: number): number {
  return fnv1a32(deviceId) % count;
}

/**
 * True if this partition stores a message on `topic`. The device is read
 * from the topic, not the payload: the broker's ACL makes the topic's device
 * the one that published, and a payload may be unparseable (its dead letter
 * must still be stored by exactly one process). The level is hashed as it
 * is, valid or not (`vigil/v1/<site>/<device>/...`); a topic without one goes to partition 0.
 */
export function ownsTopic(partition: Partition, topic: string): boolean {
  if (partition.count <= 1) return true;
  const device = topic.split('/', 4)[3];
  return (device === undefined ? 0 : partitionOfDevice(device, partition.count)) === partition.index;
}

const PARTITION_RE = /^(\d{1,4})\/(\d{1,4})$/;

/** Parse `"<index>/<count>"` (e.g. `"0/2"`); undefined if the text is not of that form or out of range. */
export function parsePartition(text: string): Partition | undefined {
  const m = PARTITION_RE.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_PARTITIONS || index >= count) return undefined;
  return { index, count };
}

/** The partition setting `name` (`"i/n"`), undefined when unset; a ConfigError naming it when malformed. */
export function partitionEnv(name: string, env: Env = process.env): Partition | undefined {
  const raw = optionalEnv(name, undefined, env);
  if (raw === undefined) return undefined;
  const partition = parsePartition(raw);
  if (!partition) {
    throw new ConfigError(
      name,
      `${name}: must be "<index>/<count>" with 0 <= index < count <= ${MAX_PARTITIONS}, e.g. "0/2", got ${JSON.stringify(raw)} / ` +
        `配置项 ${name}：必须是 "<序号>/<总数>"（0 <= 序号 < 总数 <= ${MAX_PARTITIONS}），例如 "0/2"，当前为 ${JSON.stringify(raw)}`,
    );
  }
  return partition;
}
