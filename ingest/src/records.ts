import { MAX_PAYLOAD_BYTES, parseTopic, validate, type MessageOf } from '@vigil/schemas';
import { fieldsToJson, LP_LIMITS, nsToTimestamptz, parseLines, type LpPoint } from './line-protocol.js';

/** Why a message (or one line of it) was dead-lettered. */
export interface DeadLetterError {
  code: string;
  /** Where in the message: a JSON pointer (`/body/lat`), `line <n>` for line protocol, `''` for all of it. */
  field: string;
  message: string;
}

/** One inbound MQTT message (or one line of a line-protocol payload) turned into the row it becomes, by table. */
export type IngestRecord =
  | { table: 'tag_fixes'; values: unknown[] }
  | { table: 'device_events'; values: unknown[] }
  | { table: 'metrics'; values: unknown[]; lp?: LpOrigin }
  | { table: 'dead_letters'; values: unknown[]; error: DeadLetterError };

/** The parsed point a `metrics` row came from, typed as it arrived (for the InfluxDB mirror). */
export interface LpOrigin {
  siteId: string;
  deviceId: string;
  /** The point, its time resolved (the receive time when the line had none). */
  point: LpPoint & { timeNs: bigint };
}

/** Column lists, in the order of each record's `values`. */
export const COLUMNS = {
  tag_fixes: ['time', 'msg_id', 'device_id', 'site_id', 'seq', 'lat', 'lon', 'acc_m', 'speed_mps', 'heading_deg', 'alt_m', 'sats', 'src'],
  device_events: ['time', 'msg_id', 'device_id', 'site_id', 'seq', 'type', 'body'],
  metrics: ['time', 'site_id', 'device_id', 'measurement', 'tags', 'fields'],
  dead_letters: ['source', 'topic', 'payload', 'code', 'field', 'reason'],
} as const;

/**
 * Validate one message and map it to its row: `tag.fix` to `tag_fixes`, every
 * other kind to `device_events`, anything invalid to `dead_letters` with the reason.
 */
export function toRecord(topic: string, payload: Buffer): IngestRecord {
  // Decoded here rather than by validate, which copies a Buffer before decoding it. Only where the text
  // cannot reach the size limit: invalid UTF-8 decodes to U+FFFD (3 bytes), and validate measures a string
  // in UTF-8, so a larger payload goes as bytes and is measured as received.
  const result = validate(topic, payload.byteLength * 3 <= MAX_PAYLOAD_BYTES ? payload.toString('utf8') : payload);
  if (!result.ok) {
    const { code, field, rule, message } = result.error;
    return { table: 'dead_letters', values: ['mqtt', topic, payload, code, field, `${rule}: ${message}`], error: { code, field, message } };
  }
  const { message: m, site } = result;
  // The device clock in ms, exact to the millisecond: part of the dedupe key (msg_id, time).
  const time = new Date(m.ts);
  if (m.type === 'tag.fix') return { table: 'tag_fixes', values: fixValues(m, site, time) };
  return { table: 'device_events', values: [time, m.id, m.dev, site, m.seq, m.type, JSON.stringify(m.body)] };
}

function fixValues(m: MessageOf<'tag.fix'>, site: string, time: Date): unknown[] {
  const b = m.body;
  return [time, m.id, m.dev, site, m.seq, b.lat, b.lon, b.acc_m, b.speed_mps ?? null, b.heading_deg ?? null, b.alt_m ?? null, b.sats ?? null, b.src ?? null];
}

/** Code of a line-protocol payload or line that was refused. */
export const LP_ERROR_CODE = 'VIGIL_INGEST_LP';

/**
 * Parse a line-protocol payload (topic `vigil/v1/<site>/<device>/lp`): each good
 * line becomes a `metrics` row, each bad line a dead letter holding that line,
 * its number and the reason. A payload refused as a whole (topic, size, not
 * UTF-8, too many lines, no lines) is one dead letter holding the payload.
 * `receivedAt` is the time of a line without a timestamp.
 */
export function toLpRecords(topic: string, payload: Buffer, receivedAt: Date = new Date()): IngestRecord[] {
  const dead = (field: string, message: string, bytes: Buffer = payload): IngestRecord => ({
    table: 'dead_letters',
    values: ['mqtt', topic, bytes, LP_ERROR_CODE, field, message],
    error: { code: LP_ERROR_CODE, field, message },
  });
  const where = parseTopic(topic);
  if (!where || where.kind !== 'device' || where.channel !== 'lp') {
    return [dead('', `topic ${JSON.stringify(topic.slice(0, 200))} is not vigil/v1/<site>/<device>/lp`)];
  }
  if (payload.byteLength > MAX_PAYLOAD_BYTES) return [dead('', `payload of ${payload.byteLength} bytes exceeds ${MAX_PAYLOAD_BYTES}`)];
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    return [dead('', 'payload is not UTF-8')];
  }
  const lines = parseLines(text);
  if (lines.length === 0) return [dead('', 'payload has no lines')];
  if (lines.length > LP_LIMITS.maxLines) return [dead('', `payload has ${lines.length} lines, more than ${LP_LIMITS.maxLines}`)];
  return lines.map((r): IngestRecord => {
    if (!r.ok) return dead(`line ${r.line}`, r.reason, Buffer.from(r.text));
    const p = r.point;
    const time = p.timeNs === undefined ? receivedAt : nsToTimestamptz(p.timeNs);
    const lp: LpOrigin = { siteId: where.site, deviceId: where.device, point: { ...p, timeNs: p.timeNs ?? BigInt(receivedAt.getTime()) * 1_000_000n } };
    return { table: 'metrics', values: [time, where.site, where.device, p.measurement, JSON.stringify(p.tags), fieldsToJson(p.fields)], lp };
  });
}
