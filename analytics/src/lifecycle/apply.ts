import type pg from 'pg';
import type { Alert, AlertAction } from '@vigil/schemas';
import { ALERT_COLUMNS, rowToAlert, type AlertRow } from '../alert-row.js';
import { inTransaction, recordTransition } from '../db.js';
import { UUID_RE } from '../ids.js';
import { checkActionFields, nextState, refuse, type LifecycleRefusal } from './transitions.js';

/** An operator's or officer's action on one alert. */
export interface AlertActionInput {
  alertId: string;
  action: AlertAction;
  /** Who acts (user id, `system:...`); stored on the transition. */
  actor: string;
  /** Why; required to shelve. */
  reason?: string;
  /** Shelve until (ms since epoch). */
  until?: number;
  /** Dispatch to this officer. */
  officerId?: string;
  /** Resolve: a disposition code (`DISPOSITIONS`) and a note. */
  disposition?: string;
  note?: string;
}

/** Options of `applyAlertAction`. */
export interface ApplyOptions {
  /** The current time (ms); default `Date.now()`. Shelving deadlines are checked against it. */
  now?: number;
  /** Told the new state once it is committed (e.g. publish it on the site's alerts topic). */
  onChange?(alert: Alert): void;
}

/** A committed transition, or why not. */
export type AlertActionResult = { ok: true; alert: Alert; from: Alert['state'] } | LifecycleRefusal;

/**
 * Apply one lifecycle action (ISA-18.2 plus dispatch): check it against the
 * transition table and its required fields, update the alert and store the
 * transition (who, when, why, from, to) in one transaction, then call
 * `onChange` with the new state. An expired shelf is lifted first.
 */
export async function applyAlertAction(pool: pg.Pool, input: AlertActionInput, opts: ApplyOptions = {}): Promise<AlertActionResult> {
  const now = opts.now ?? Date.now();
  if (typeof input.alertId !== 'string' || !UUID_RE.test(input.alertId)) return refuse('not_found', `no alert "${String(input.alertId)}"`, `告警"${String(input.alertId)}"不存在`, 'alertId');
  if (typeof input.actor !== 'string' || input.actor.trim() === '') return refuse('missing_field', 'an action needs an "actor"', '操作需要操作人（actor）', 'actor');
  const bad = checkActionFields(input.action, input, now);
  if (bad) return bad;
  const result = await inTransaction(pool, async (client): Promise<AlertActionResult> => {
    const { rows } = await client.query<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = $1 FOR UPDATE`, [input.alertId]);
    let row = rows[0];
    if (!row) return refuse('not_found', `no alert "${input.alertId}"`, `告警"${input.alertId}"不存在`, 'alertId');
    if (row.state === 'shelved' && row.shelved_until && row.shelved_until.getTime() <= now) row = await unshelveExpired(client, row);
    const current = rowToAlert(row);
    const next = nextState(current, input.action);
    if (!next.ok) return next;
    const set: Record<string, unknown> = { state: next.state, acked: next.acked };
    if (next.acked && !current.acked) Object.assign(set, { acked_by: input.actor, acked_at: new Date(now) });
    switch (input.action) {
      case 'shelve':
        Object.assign(set, { shelved_until: new Date(input.until!), shelved_by: input.actor, shelve_reason: input.reason });
        break;
      case 'unshelve':
        Object.assign(set, { shelved_until: null });
        break;
      case 'dispatch':
        Object.assign(set, { officer_id: input.officerId, dispatched_at: new Date(now), arrived_at: null });
        break;
      case 'arrive':
        Object.assign(set, { arrived_at: new Date(now) });
        break;
      case 'resolve':
        Object.assign(set, { resolved_at: new Date(now), disposition: input.disposition, note: input.note, shelved_until: null });
        break;
      default:
        break;
    }
    const cols = Object.keys(set);
    const { rows: updated } = await client.query<AlertRow>(
      `UPDATE alerts SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${ALERT_COLUMNS}`,
      [row.id, ...cols.map((c) => set[c])],
    );
    const detail: Record<string, unknown> = {};
    for (const k of ['until', 'officerId', 'disposition', 'note'] as const) if (input[k] !== undefined) detail[k] = input[k];
    await recordTransition(client, {
      alertId: row.id,
      from: current.state,
      to: next.state,
      actor: input.actor,
      reason: input.reason ?? input.note ?? null,
      action: input.action,
      detail: Object.keys(detail).length ? detail : undefined,
      atMs: now,
    });
    return { ok: true, alert: rowToAlert(updated[0]!), from: current.state };
  });
  if (result.ok) opts.onChange?.(result.alert);
  return result;
}

async function unshelveExpired(client: pg.PoolClient, row: AlertRow): Promise<AlertRow> {
  const to = nextState(rowToAlert(row), 'unshelve');
  if (!to.ok) return row;
  const { rows } = await client.query<AlertRow>(`UPDATE alerts SET state = $2, shelved_until = NULL, updated_at = now() WHERE id = $1 RETURNING ${ALERT_COLUMNS}`, [row.id, to.state]);
  await recordTransition(client, { alertId: row.id, from: 'shelved', to: to.state, actor: 'system:shelf-expiry', reason: 'shelving time passed', action: 'unshelve', atMs: row.shelved_until!.getTime() });
  return rows[0]!;
}

/**
 * Lift every shelf whose time has passed (ISA-18.2: shelving is temporary),
 * each as a stored transition; returns the alerts changed, for publishing.
 */
export async function expireShelves(pool: pg.Pool, now: number): Promise<Alert[]> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE state = 'shelved' AND shelved_until <= to_timestamp($1 / 1000.0) ORDER BY shelved_until FOR UPDATE`,
      [now],
    );
    const out: Alert[] = [];
    for (const row of rows) out.push(rowToAlert(await unshelveExpired(client, row)));
    return out;
  });
}
