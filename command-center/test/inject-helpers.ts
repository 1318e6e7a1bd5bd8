import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';

/** A request through `app.inject` as a signed-in user, by the user's key in `cookies`. */
export function injectAs(app: () => FastifyInstance, cookies: Record<string, string>) {
  return (user: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    app().inject({ method, url, headers: { cookie: cookies[user]! }, ...(payload ? { payload } : {}) });
}

/** The newest audit row of an action. */
export async function lastAudit(pool: Pool, action: string) {
  return (await pool.query('SELECT actor, resource, outcome, detail FROM audit_log WHERE action = $1 ORDER BY seq DESC LIMIT 1', [action])).rows[0] as
    | { actor: string; resource: string; outcome: string; detail: Record<string, unknown> }
    | undefined;
}
