import type { Pool } from 'pg';
import type { Alert, AlertEvidence, AlertState, Severity } from '@vigil/schemas';

/** A row of the `alerts` table (migration 004_alerts.sql) as `pg` returns it. */
export interface AlertRow {
  id: string;
  key: string;
  rule: string;
  severity: string;
  state: string;
  site_id: string;
  device_id: string;
  subject_id: string | null;
  title_en: string;
  title_zh: string;
  raised_at: Date;
  last_at: Date;
  count: number;
  evidence: AlertEvidence;
}

/** Filters of an alert listing. */
export interface AlertQuery {
  site?: string;
  state?: AlertState;
  /** Most rows to return. */
  limit: number;
}

/** Map a stored row to the `Alert` record that is published and served. */
export function rowToAlert(row: AlertRow): Alert {
  return {
    v: 1,
    id: row.id,
    rule: row.rule,
    key: row.key,
    // The table's CHECK constraint keeps severity within the schema's union.
    severity: row.severity as Severity,
    state: row.state as AlertState,
    site: row.site_id,
    dev: row.device_id,
    ...(row.subject_id !== null ? { subject: row.subject_id } : {}),
    title: { en: row.title_en, 'zh-CN': row.title_zh },
    raised_ts: row.raised_at.getTime(),
    last_ts: row.last_at.getTime(),
    count: row.count,
    evidence: row.evidence,
  };
}

/** Alerts matching the filters, newest raised first. */
export async function listAlerts(pool: Pool, q: AlertQuery): Promise<Alert[]> {
  const { rows } = await pool.query<AlertRow>(
    `SELECT id, key, rule, severity, state, site_id, device_id, subject_id, title_en, title_zh,
            raised_at, last_at, count, evidence
       FROM alerts
      WHERE ($1::text IS NULL OR site_id = $1)
        AND ($2::text IS NULL OR state = $2)
      ORDER BY raised_at DESC, id DESC
      LIMIT $3`,
    [q.site ?? null, q.state ?? null, q.limit],
  );
  return rows.map(rowToAlert);
}
