import type { Alert, Disposition } from '@vigil/schemas';

/**
 * A row of the `alerts` table (migrations 004 and 015) as `pg` returns it.
 * The lifecycle columns are optional so a reader selecting only the first
 * columns (as the command centre's list did) still maps.
 */
export interface AlertRow {
  id: string;
  key: string;
  rule: string;
  severity: Alert['severity'];
  state: Alert['state'];
  site_id: string;
  device_id: string;
  subject_id: string | null;
  title_en: string;
  title_zh: string;
  raised_at: Date;
  last_at: Date;
  count: number;
  evidence: Alert['evidence'];
  acked?: boolean;
  active?: boolean;
  acked_by?: string | null;
  acked_at?: Date | null;
  cleared_at?: Date | null;
  shelved_until?: Date | null;
  shelved_by?: string | null;
  shelve_reason?: string | null;
  officer_id?: string | null;
  dispatched_at?: Date | null;
  arrived_at?: Date | null;
  resolved_at?: Date | null;
  disposition?: string | null;
  note?: string | null;
  escalation_level?: number;
  escalated_to?: string | null;
  escalated_at?: Date | null;
  updated_at?: Date;
  last_cause?: string | null;
}

/** Every column of `alerts`, for a SELECT that feeds `rowToAlert`. */
export const ALERT_COLUMNS =
  'id, key, rule, severity, state, site_id, device_id, subject_id, title_en, title_zh, raised_at, last_at, count, evidence, ' +
  'acked, active, acked_by, acked_at, cleared_at, shelved_until, shelved_by, shelve_reason, officer_id, dispatched_at, arrived_at, ' +
  'resolved_at, disposition, note, escalation_level, escalated_to, escalated_at, updated_at';

const ms = (d: Date | null | undefined) => (d ? d.getTime() : undefined);

/** Map a row of `alerts` to the wire record; absent or NULL columns are left out. */
export function rowToAlert(r: AlertRow): Alert {
  const opt = {
    acked: r.acked ?? undefined,
    active: r.active ?? undefined,
    acked_by: r.acked_by ?? undefined,
    acked_ts: ms(r.acked_at),
    cleared_ts: ms(r.cleared_at),
    shelved_until: ms(r.shelved_until),
    shelved_by: r.shelved_by ?? undefined,
    shelve_reason: r.shelve_reason ?? undefined,
    officer: r.officer_id ?? undefined,
    dispatched_ts: ms(r.dispatched_at),
    arrived_ts: ms(r.arrived_at),
    resolved_ts: ms(r.resolved_at),
    disposition: (r.disposition ?? undefined) as Disposition | undefined,
    note: r.note ?? undefined,
    escalation_level: r.escalation_level ?? undefined,
    escalated_to: r.escalated_to ?? undefined,
    escalated_ts: ms(r.escalated_at),
    updated_ts: ms(r.updated_at),
  };
  const alert: Alert = {
    v: 1,
    id: r.id,
    rule: r.rule,
    key: r.key,
    severity: r.severity,
    state: r.state,
    site: r.site_id,
    dev: r.device_id,
    ...(r.subject_id ? { subject: r.subject_id } : {}),
    title: { en: r.title_en, 'zh-CN': r.title_zh },
    raised_ts: r.raised_at.getTime(),
    last_ts: r.last_at.getTime(),
    count: r.count,
    evidence: r.evidence,
  };
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) (alert as Record<string, unknown>)[k] = v;
  return alert;
}
