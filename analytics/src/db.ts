import type pg from 'pg';

/**
 * Run `fn` in one transaction on one connection, released at once (the
 * embedded server has a single session: CONTRIBUTING.md).
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Insert one row of `alert_transitions`: who, when, why, from, to, and the action's fields. */
export async function recordTransition(
  client: pg.PoolClient,
  t: { alertId: string; from: string | null; to: string; actor: string; reason?: string | null; action: string; detail?: Record<string, unknown>; atMs?: number },
): Promise<void> {
  await client.query(
    `INSERT INTO alert_transitions (alert_id, at, from_state, to_state, actor, reason, action, detail)
     VALUES ($1, COALESCE(to_timestamp($8 / 1000.0), now()), $2, $3, $4, $5, $6, $7)`,
    [t.alertId, t.from, t.to, t.actor, t.reason ?? null, t.action, t.detail ? JSON.stringify(t.detail) : null, t.atMs ?? null],
  );
}
