import type pg from 'pg';
import { COLUMNS } from './records.js';

const col = (name: (typeof COLUMNS.device_events)[number]): number => COLUMNS.device_events.indexOf(name);
const TIME = col('time');
const MSG_ID = col('msg_id');
const DEVICE = col('device_id');
const SITE = col('site_id');
const TYPE = col('type');
const BODY = col('body');

/** One device's presence as an `agent.status` message states it. */
export interface PresenceRow {
  deviceId: string;
  siteId: string;
  online: boolean;
  since: Date;
  msgId: string;
}

/**
 * The newest `agent.status` per device among a batch's `device_events` rows
 * (by ts, then by msg_id: UUIDv7 sorts by time). One row per device, because one
 * INSERT ... ON CONFLICT may not touch the same row twice.
 */
export function presenceRows(events: readonly unknown[][]): PresenceRow[] {
  const newest = new Map<string, PresenceRow>();
  for (const v of events) {
    if (v[TYPE] !== 'agent.status') continue;
    const body = JSON.parse(v[BODY] as string) as { online: boolean };
    const row: PresenceRow = { deviceId: v[DEVICE] as string, siteId: v[SITE] as string, online: body.online, since: v[TIME] as Date, msgId: v[MSG_ID] as string };
    const seen = newest.get(row.deviceId);
    if (seen === undefined || isNewer(row, seen)) newest.set(row.deviceId, row);
  }
  return [...newest.values()];
}

function isNewer(a: PresenceRow, b: PresenceRow): boolean {
  const dt = a.since.getTime() - b.since.getTime();
  return dt > 0 || (dt === 0 && a.msgId > b.msgId);
}

/**
 * Upsert device_presence from a batch's status messages, inside the caller's
 * transaction, so presence commits (or not) with the batch. A stored row is
 * replaced only by a strictly newer status; returns the rows changed.
 */
export async function upsertPresence(client: pg.PoolClient, events: readonly unknown[][]): Promise<number> {
  return upsertPresenceRows(client, presenceRows(events));
}

/** upsertPresence for rows already picked by presenceRows. */
export async function upsertPresenceRows(client: pg.PoolClient, rows: readonly PresenceRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const params: unknown[] = [];
  const tuples = rows.map((r) => `(${[r.deviceId, r.siteId, r.online, r.since, r.msgId].map((v) => `$${params.push(v)}`).join(', ')})`);
  const res = await client.query(
    `INSERT INTO device_presence (device_id, site_id, online, since, last_msg_id) VALUES ${tuples.join(', ')}
     ON CONFLICT (device_id) DO UPDATE SET site_id = EXCLUDED.site_id, online = EXCLUDED.online, since = EXCLUDED.since,
       last_msg_id = EXCLUDED.last_msg_id, updated_at = now()
     WHERE (device_presence.since, device_presence.last_msg_id) < (EXCLUDED.since, EXCLUDED.last_msg_id)`,
    params,
  );
  return res.rowCount ?? 0;
}
