import type pg from 'pg';
import { newId, type Alert } from '@vigil/schemas';
import { ALERT_COLUMNS, rowToAlert, type AlertRow } from './alert-row.js';
import { inTransaction, recordTransition } from './db.js';
import type { AlertDraft } from './rules/types.js';

export { ALERT_COLUMNS, rowToAlert, type AlertRow } from './alert-row.js';

/** What storing a draft did. */
export type RaiseOutcome =
  /** A new alert. */
  | 'raised'
  /** Folded into the open alert with the same key (count and last seen). */
  | 'folded'
  /** The condition's alert closed less than the cooldown ago: counted on it, not reopened. */
  | 'cooled'
  /** The open alert's condition returned to normal. */
  | 'cleared'
  /** The same cause was already stored (a redelivered message): nothing changed. */
  | 'duplicate'
  /** A clear with no open alert: nothing to do. */
  | 'none';

/** Options of `raiseAlert`. */
export interface RaiseOptions {
  /** After an alert of a condition closes, repeats within this event-time span do not reopen it. Default 0. */
  cooldownMs?: number;
}

/**
 * Store a draft: raise a new alert, fold a repeat into the open alert with
 * the same key (ARCHITECTURE.md "Alerts"), count it on a just-closed one
 * during the cooldown, or mark the condition returned to normal. Every state
 * change is a row of `alert_transitions`; all in one transaction.
 */
export async function raiseAlert(pool: pg.Pool, draft: AlertDraft, opts: RaiseOptions = {}): Promise<{ alert: Alert | undefined; isNew: boolean; outcome: RaiseOutcome }> {
  return inTransaction(pool, async (client) => {
    if (draft.cause) {
      // Each cause (message id, or timer id with its due time) applies once: a replay after a crash changes nothing.
      const fresh = await client.query(`INSERT INTO alert_causes (key, cause) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`, [draft.key, draft.cause]);
      if (fresh.rowCount === 0) {
        const cur = await client.query<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE key = $1 ORDER BY raised_at DESC LIMIT 1`, [draft.key]);
        return { alert: cur.rows[0] ? rowToAlert(cur.rows[0]) : undefined, isNew: false, outcome: 'duplicate' as const };
      }
    }
    for (let attempt = 0; ; attempt++) {
      const open = await client.query<AlertRow & { last_cause: string | null }>(
        `SELECT ${ALERT_COLUMNS}, last_cause FROM alerts WHERE key = $1 AND state NOT IN ('resolved', 'normal') FOR UPDATE`,
        [draft.key],
      );
      const cur = open.rows[0];
      if (draft.clear) return cur ? clear(client, cur, draft) : { alert: undefined, isNew: false, outcome: 'none' as const };
      if (cur) return fold(client, cur, draft);
      if ((opts.cooldownMs ?? 0) > 0) {
        const closed = await client.query<AlertRow>(
          `UPDATE alerts SET count = count + 1, last_at = GREATEST(last_at, to_timestamp($2 / 1000.0)), last_cause = $3, updated_at = now()
            WHERE id = (SELECT id FROM alerts WHERE key = $1 AND state IN ('resolved', 'normal') AND last_at >= to_timestamp(($2::bigint - $4::bigint) / 1000.0)
                         ORDER BY last_at DESC LIMIT 1 FOR UPDATE)
              AND last_cause IS DISTINCT FROM $3
           RETURNING ${ALERT_COLUMNS}`,
          [draft.key, draft.ts, draft.cause ?? null, opts.cooldownMs],
        );
        if (closed.rows[0]) return { alert: rowToAlert(closed.rows[0]), isNew: false, outcome: 'cooled' as const };
      }
      const state = draft.suppressed ? 'suppressed' : 'raised';
      const ins = await client.query<AlertRow>(
        `INSERT INTO alerts (id, key, rule, severity, state, site_id, device_id, subject_id, title_en, title_zh, raised_at, last_at, count, evidence, last_cause)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, to_timestamp($11 / 1000.0), to_timestamp($11 / 1000.0), 1, $12, $13)
         ON CONFLICT (key) WHERE state NOT IN ('resolved', 'normal') DO NOTHING
         RETURNING ${ALERT_COLUMNS}`,
        [newId(), draft.key, draft.rule, draft.severity, state, draft.site, draft.dev, draft.subject ?? null, draft.title.en, draft.title['zh-CN'], draft.ts, JSON.stringify(draft.evidence), draft.cause ?? null],
      );
      const row = ins.rows[0];
      if (!row) {
        // Another writer opened it between our SELECT and INSERT: fold into theirs.
        if (attempt > 2) throw new Error(`alert ${draft.key}: could not insert or fold`);
        continue;
      }
      await recordTransition(client, { alertId: row.id, from: null, to: state, actor: `rule:${draft.rule}`, reason: draft.title.en, action: 'raise', detail: draft.cause ? { cause: draft.cause } : undefined });
      return { alert: rowToAlert(row), isNew: true, outcome: 'raised' as const };
    }
  });
}

async function fold(client: pg.PoolClient, cur: AlertRow & { last_cause: string | null }, draft: AlertDraft) {
  const { rows } = await client.query<AlertRow>(
    `UPDATE alerts SET count = count + 1, last_at = GREATEST(last_at, to_timestamp($2 / 1000.0)), evidence = $3, active = true,
            cleared_at = NULL, last_cause = $4, updated_at = now()
      WHERE id = $1 RETURNING ${ALERT_COLUMNS}`,
    [cur.id, draft.ts, JSON.stringify(draft.evidence), draft.cause ?? null],
  );
  if (cur.active === false) {
    await recordTransition(client, { alertId: cur.id, from: cur.state, to: cur.state, actor: `rule:${draft.rule}`, reason: 'condition active again', action: 'reactivate' });
  }
  return { alert: rowToAlert(rows[0]!), isNew: false, outcome: 'folded' as const };
}

async function clear(client: pg.PoolClient, cur: AlertRow & { last_cause: string | null }, draft: AlertDraft) {
  if (cur.active === false) return { alert: rowToAlert(cur), isNew: false, outcome: 'duplicate' as const };
  // ISA-18.2: acknowledged and returned to normal is closed; unacknowledged stays until someone acknowledges.
  const { rows } = await client.query<AlertRow>(
    `UPDATE alerts SET active = false, cleared_at = to_timestamp($2 / 1000.0), updated_at = now(),
            state = CASE WHEN state = 'acknowledged' THEN 'normal' ELSE state END, last_cause = COALESCE($3, last_cause)
      WHERE id = $1 RETURNING ${ALERT_COLUMNS}`,
    [cur.id, draft.ts, draft.cause ?? null],
  );
  const row = rows[0]!;
  await recordTransition(client, { alertId: cur.id, from: cur.state, to: row.state, actor: `rule:${draft.rule}`, reason: draft.title.en, action: 'clear' });
  return { alert: rowToAlert(row), isNew: false, outcome: 'cleared' as const };
}
