import type { Pool } from 'pg';

/** How a request ended, as the audit trail records it. */
export type AuditOutcome = 'ok' | 'denied' | 'failed' | 'error';

/** One entry of the audit trail: who used which data, when, from where, with what outcome (PRODUCT.md: every use of data traceable). */
export interface AuditEntry {
  /** A user id, or a service account for automated reads. */
  actor: string;
  /** What was done, `<resource>.<verb>`: `alerts.list`, `alerts.stream`, `auth.login`. */
  action: string;
  /** What it was done to: a table, a record id, a topic. */
  resource: string;
  detail?: Record<string, unknown>;
  /** The client's address. */
  ip?: string | null;
  /** Default `ok`. */
  outcome?: AuditOutcome;
}

/**
 * Append one row to `audit_log`. The database chains it (migration 023: seq,
 * prev_hash, hash under an advisory lock) and refuses any later change.
 */
export async function appendAudit(pool: Pool, entry: AuditEntry): Promise<void> {
  await pool.query('INSERT INTO audit_log (actor, action, resource, detail, ip, outcome) VALUES ($1, $2, $3, $4, $5, $6)', [
    entry.actor,
    entry.action,
    entry.resource,
    JSON.stringify(entry.detail ?? {}),
    entry.ip ?? null,
    entry.outcome ?? 'ok',
  ]);
}

/** The result of checking the chain. */
export interface AuditVerification {
  ok: boolean;
  /** Rows checked. */
  checked: number;
  /** The first row (by seq) where the chain breaks, and why. */
  firstBad: { seq: number; reason: 'hash_mismatch' | 'prev_mismatch' | 'seq_gap' } | null;
  lastSeq: number;
  lastHash: string | null;
}

/**
 * Walk the chain in `seq` order, recomputing each row's hash in the database
 * (the same function the trigger uses): an edited row no longer matches its
 * hash; a removed row leaves a gap in seq and a prev_hash that points nowhere.
 */
export async function verifyAuditChain(pool: Pool, batch = 5000): Promise<AuditVerification> {
  let after = 0;
  let prevHash: string | null = null;
  let checked = 0;
  for (;;) {
    const { rows } = await pool.query<{ seq: string; prev_hash: string | null; hash: string; recomputed: string }>(
      `SELECT seq, prev_hash, hash,
              vigil_audit_hash(prev_hash, seq, at, actor, action, resource, detail, ip, outcome) AS recomputed
         FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [after, batch],
    );
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq !== after + 1) return { ok: false, checked, firstBad: { seq, reason: 'seq_gap' }, lastSeq: after, lastHash: prevHash };
      if (r.prev_hash !== prevHash) return { ok: false, checked, firstBad: { seq, reason: 'prev_mismatch' }, lastSeq: after, lastHash: prevHash };
      if (r.recomputed !== r.hash) return { ok: false, checked, firstBad: { seq, reason: 'hash_mismatch' }, lastSeq: after, lastHash: prevHash };
      prevHash = r.hash;
      after = seq;
      checked += 1;
    }
    if (rows.length < batch) return { ok: true, checked, firstBad: null, lastSeq: after, lastHash: prevHash };
  }
}
