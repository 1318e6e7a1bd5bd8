import type { Pool } from 'pg';
import { rowToAlert, type AlertRow } from '@vigil/analytics';
import type { Alert, AlertState } from '@vigil/schemas';

/** Filters of an alert listing. */
export interface AlertQuery {
  site?: string;
  state?: AlertState;
  /** Most rows to return. */
  limit: number;
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
