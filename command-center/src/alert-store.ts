import type { Pool } from 'pg';
import { ALERT_COLUMNS, rowToAlert, type AlertRow } from '@vigil/analytics';
import type { Alert, AlertState, Severity } from '@vigil/schemas';
import type { Scope } from './access/scope.js';

/** Filters of an alert listing. */
export interface AlertQuery {
  site?: string | undefined;
  state?: AlertState | undefined;
  severity?: Severity | undefined;
  /** The rule that raised it (`zone.exclusion`): the alert's type. */
  type?: string | undefined;
  subject?: string | undefined;
  /** Raised at or after / before (ms). */
  from?: number | undefined;
  to?: number | undefined;
  /** Most rows to return. */
  limit: number;
}

/**
 * The scope as SQL: `$1` sites, `$2` subjects (null: any), `$3` the officer's own id.
 * An officer sees the alerts of the subjects assigned to them and those dispatched to them.
 */
export const SCOPE_SQL = '(site_id = ANY($1::text[]) AND ($2::text[] IS NULL OR subject_id = ANY($2::text[]) OR officer_id = $3))';
export const scopeParams = (scope: Scope): unknown[] => [scope.sites, scope.subjects, scope.officerId];

/** An audit row written by the same statement that reads the rows (`returned` is added to its detail). */
export interface ListAudit {
  actor: string;
  action: string;
  ip: string | null;
  detail: Record<string, unknown>;
}

/**
 * Alerts in `scope` matching the filters, newest raised first. With `audit`, the audit row is
 * inserted by the same statement (a data-modifying CTE): the read and its record happen together
 * or not at all, in one round trip.
 */
export async function listAlerts(pool: Pool, scope: Scope, q: AlertQuery, audit?: ListAudit): Promise<Alert[]> {
  const select = `SELECT ${ALERT_COLUMNS}
       FROM alerts
      WHERE ${SCOPE_SQL}
        AND ($4::text IS NULL OR site_id = $4)
        AND ($5::text IS NULL OR state = $5)
        AND ($6::text IS NULL OR severity = $6)
        AND ($7::text IS NULL OR rule = $7)
        AND ($8::text IS NULL OR subject_id = $8)
        AND ($9::double precision IS NULL OR raised_at >= to_timestamp($9 / 1000.0))
        AND ($10::double precision IS NULL OR raised_at < to_timestamp($10 / 1000.0))
      ORDER BY raised_at DESC, id DESC
      LIMIT $11`;
  const params = [...scopeParams(scope), q.site ?? null, q.state ?? null, q.severity ?? null, q.type ?? null, q.subject ?? null, q.from ?? null, q.to ?? null, q.limit];
  if (!audit) return (await pool.query<AlertRow>(select, params)).rows.map(rowToAlert);
  const { rows } = await pool.query<AlertRow>(
    `WITH found AS (${select}),
          logged AS (
            INSERT INTO audit_log (actor, action, resource, detail, ip, outcome)
            SELECT $12, $13, 'alerts', $14::jsonb || jsonb_build_object('returned', (SELECT count(*) FROM found)), $15, 'ok'
          )
     SELECT * FROM found ORDER BY raised_at DESC, id DESC`,
    [...params, audit.actor, audit.action, JSON.stringify(audit.detail), audit.ip],
  );
  return rows.map(rowToAlert);
}

/** One alert if it is in `scope`; null otherwise, whether or not it exists. */
export async function getAlert(pool: Pool, scope: Scope, id: string): Promise<Alert | null> {
  const { rows } = await pool.query<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${SCOPE_SQL} AND id = $4`, [...scopeParams(scope), id]);
  return rows[0] ? rowToAlert(rows[0]) : null;
}
