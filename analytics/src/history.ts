import type pg from 'pg';
import { check, Message } from '@vigil/schemas';

/** A stored message with its site, as the rules take it. */
export interface StoredMessage {
  site: string;
  msg: Message;
}

interface FixRow {
  time: Date;
  msg_id: string;
  device_id: string;
  site_id: string;
  seq: string;
  lat: number;
  lon: number;
  acc_m: number;
  speed_mps: number | null;
  heading_deg: number | null;
  alt_m: number | null;
  sats: number | null;
  src: string | null;
}

interface EventRow {
  time: Date;
  msg_id: string;
  device_id: string;
  site_id: string;
  seq: string;
  type: string;
  body: Record<string, unknown>;
}

/**
 * The stored stream between two event times (ms, from inclusive, to
 * exclusive), from the hypertables ingest writes (`tag_fixes`,
 * `device_events`), rebuilt as envelopes and ordered by (time, id) so every
 * run sees the same order. Rows that no longer validate are counted, not used.
 */
export async function readStoredStream(pool: pg.Pool, fromMs: number, toMs: number, keep: (dev: string) => boolean = () => true): Promise<{ messages: StoredMessage[]; invalid: number }> {
  const range = [new Date(fromMs), new Date(toMs)];
  const fixes = await pool.query<FixRow>(
    `SELECT time, msg_id, device_id, site_id, seq, lat, lon, acc_m, speed_mps, heading_deg, alt_m, sats, src
       FROM tag_fixes WHERE time >= $1 AND time < $2`,
    range,
  );
  const events = await pool.query<EventRow>(`SELECT time, msg_id, device_id, site_id, seq, type, body FROM device_events WHERE time >= $1 AND time < $2`, range);
  const out: StoredMessage[] = [];
  let invalid = 0;
  const push = (site: string, raw: unknown) => {
    const r = check(Message, raw);
    if (r.ok) out.push({ site, msg: r.value });
    else invalid++;
  };
  for (const f of fixes.rows) {
    if (!keep(f.device_id)) continue;
    const body: Record<string, unknown> = { lat: f.lat, lon: f.lon, acc_m: f.acc_m };
    if (f.speed_mps !== null) body.speed_mps = f.speed_mps;
    if (f.heading_deg !== null) body.heading_deg = f.heading_deg;
    if (f.alt_m !== null) body.alt_m = f.alt_m;
    if (f.sats !== null) body.sats = f.sats;
    if (f.src !== null) body.src = f.src;
    push(f.site_id, { v: 1, id: f.msg_id, dev: f.device_id, ts: f.time.getTime(), seq: Number(f.seq), type: 'tag.fix', body });
  }
  for (const e of events.rows) {
    if (!keep(e.device_id)) continue;
    push(e.site_id, { v: 1, id: e.msg_id, dev: e.device_id, ts: e.time.getTime(), seq: Number(e.seq), type: e.type, body: e.body });
  }
  out.sort((a, b) => a.msg.ts - b.msg.ts || (a.msg.id < b.msg.id ? -1 : a.msg.id > b.msg.id ? 1 : 0));
  return { messages: out, invalid };
}
