import type pg from 'pg';
import { newId, type Alert } from '@vigil/schemas';
import type { AlertDraft } from './rules/types.js';

/** A row of the `alerts` table (migration 004_alerts.sql) as `pg` returns it. */
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
}

/** Map a row of `alerts` to the wire record. */
export function rowToAlert(r: AlertRow): Alert {
  return {
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
}

/**
 * Raise an alert, or fold it into the open alert with the same key (a count
 * and last seen, ARCHITECTURE.md "Alerts"). The first raise records the
 * `raised` transition. One statement per step, in one short transaction.
 */
export async function raiseAlert(pool: pg.Pool, draft: AlertDraft): Promise<{ alert: Alert; isNew: boolean }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<AlertRow & { inserted: boolean }>(
      `INSERT INTO alerts (id, key, rule, severity, state, site_id, device_id, subject_id, title_en, title_zh, raised_at, last_at, count, evidence)
       VALUES ($1, $2, $3, $4, 'raised', $5, $6, $7, $8, $9, to_timestamp($10 / 1000.0), to_timestamp($10 / 1000.0), 1, $11)
       ON CONFLICT (key) WHERE state NOT IN ('resolved', 'normal')
       DO UPDATE SET count = alerts.count + 1, last_at = GREATEST(alerts.last_at, EXCLUDED.last_at), evidence = EXCLUDED.evidence
       RETURNING *, (xmax = 0) AS inserted`,
      [newId(), draft.key, draft.rule, draft.severity, draft.site, draft.dev, draft.subject ?? null, draft.title.en, draft.title['zh-CN'], draft.ts, JSON.stringify(draft.evidence)],
    );
    const row = rows[0]!;
    if (row.inserted) {
      await client.query(`INSERT INTO alert_transitions (alert_id, from_state, to_state, actor, reason) VALUES ($1, NULL, 'raised', $2, $3)`, [
        row.id,
        `rule:${draft.rule}`,
        draft.title.en,
      ]);
    }
    await client.query('COMMIT');
    return { alert: rowToAlert(row), isNew: row.inserted };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
