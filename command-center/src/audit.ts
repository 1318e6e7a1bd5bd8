import type { Pool } from 'pg';

/** One entry of the audit trail: who used which data, when (PRODUCT.md: every use of data traceable). */
export interface AuditEntry {
  actor: string;
  /** What was done, `<resource>.<verb>`: `alerts.list`, `alerts.stream`. */
  action: string;
  /** What it was done to: a table, a record id, a topic. */
  resource: string;
  detail?: Record<string, unknown>;
}

/** Append one row to `audit_log` (migration 005_audit.sql). */
export async function appendAudit(pool: Pool, entry: AuditEntry): Promise<void> {
  await pool.query('INSERT INTO audit_log (actor, action, resource, detail) VALUES ($1, $2, $3, $4)', [
    entry.actor,
    entry.action,
    entry.resource,
    JSON.stringify(entry.detail ?? {}),
  ]);
}
