import { validate, type MessageOf, type ValidationError } from '@vigil/schemas';

/** One inbound MQTT message turned into the row it becomes, by table. */
export type IngestRecord =
  | { table: 'tag_fixes'; values: unknown[] }
  | { table: 'device_events'; values: unknown[] }
  | { table: 'dead_letters'; values: unknown[]; error: ValidationError };

/** Column lists, in the order of each record's `values`. */
export const COLUMNS = {
  tag_fixes: ['time', 'msg_id', 'device_id', 'site_id', 'seq', 'lat', 'lon', 'acc_m', 'speed_mps', 'heading_deg', 'alt_m', 'sats', 'src'],
  device_events: ['time', 'msg_id', 'device_id', 'site_id', 'seq', 'type', 'body'],
  dead_letters: ['source', 'topic', 'payload', 'code', 'field', 'reason'],
} as const;

/**
 * Validate one message and map it to its row: `tag.fix` to `tag_fixes`, every
 * other kind to `device_events`, anything invalid to `dead_letters` with the reason.
 */
export function toRecord(topic: string, payload: Buffer): IngestRecord {
  const result = validate(topic, payload);
  if (!result.ok) {
    const { code, field, rule, message } = result.error;
    return { table: 'dead_letters', values: ['mqtt', topic, payload, code, field, `${rule}: ${message}`], error: result.error };
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
