import type pg from 'pg';
import type { Alert } from '@vigil/schemas';
import { ALERT_COLUMNS, rowToAlert, type AlertRow } from '../alert-row.js';
import { inTransaction, recordTransition } from '../db.js';

/** Options of `escalateOverdue`. */
export interface EscalationOptions {
  /** An unacknowledged alert goes one level up the organisation after this long, and again after each further span. */
  afterMs: number;
  now: number;
}

/**
 * Escalate every alert still unacknowledged `afterMs` after it was raised
 * (or after its last escalation) to the parent of the organisation unit it
 * sits with now (its site's unit at first, `org_units.parent_id`); marked on
 * the alert (`escalation_level`, `escalated_to`) and stored as a transition.
 * An alert at the top of the tree stays there. Returns the alerts changed.
 */
export async function escalateOverdue(pool: pg.Pool, opts: EscalationOptions): Promise<Alert[]> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<AlertRow & { parent_id: string | null }>(
      `SELECT ${ALERT_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}, p.parent_id
         FROM alerts a
         JOIN sites s ON s.id = a.site_id
         JOIN org_units p ON p.id = COALESCE(a.escalated_to, s.org_unit_id)
        WHERE NOT a.acked AND a.state = 'raised'
          AND COALESCE(a.escalated_at, a.raised_at) <= to_timestamp(($1::bigint - $2::bigint) / 1000.0)
          AND p.parent_id IS NOT NULL
        ORDER BY a.raised_at
        FOR UPDATE OF a`,
      [opts.now, opts.afterMs],
    );
    const out: Alert[] = [];
    for (const r of rows) {
      const level = (r.escalation_level ?? 0) + 1;
      const { rows: up } = await client.query<AlertRow>(
        `UPDATE alerts SET escalation_level = $2, escalated_to = $3, escalated_at = to_timestamp($4 / 1000.0), updated_at = now()
          WHERE id = $1 RETURNING ${ALERT_COLUMNS}`,
        [r.id, level, r.parent_id, opts.now],
      );
      await recordTransition(client, {
        alertId: r.id,
        from: r.state,
        to: r.state,
        actor: 'system:escalation',
        reason: `unacknowledged for ${Math.round(opts.afterMs / 1000)} s; escalated to ${r.parent_id}`,
        action: 'escalate',
        detail: { level, to: r.parent_id },
        atMs: opts.now,
      });
      out.push(rowToAlert(up[0]!));
    }
    return out;
  });
}
