import type { Pool } from 'pg';
import type { Role } from './roles.js';

/**
 * What one user may see: the organisation units of their subtree, the sites
 * under them, and for an officer the subjects assigned to them. Every query of
 * a scoped resource filters by these lists; a single object outside them is a 404.
 */
export interface Scope {
  units: string[];
  sites: string[];
  siteSet: ReadonlySet<string>;
  /** Officers only: the subjects assigned to them (null: not restricted by subject). */
  subjects: string[] | null;
  subjectSet: ReadonlySet<string> | null;
  /** Officers only: their own id, to match alerts dispatched to them. */
  officerId: string | null;
}

interface ScopeRow {
  units: string[];
  sites: string[];
}

/** Load the scope of a user rooted at `orgUnitId` (recursive CTE over org_units.parent_id). */
export async function loadScope(pool: Pool, user: { id: string; role: Role; orgUnitId: string }): Promise<Scope> {
  const { rows } = await pool.query<ScopeRow>(
    `WITH RECURSIVE sub AS (
       SELECT id FROM org_units WHERE id = $1
       UNION ALL
       SELECT o.id FROM org_units o JOIN sub ON o.parent_id = sub.id
     )
     SELECT ARRAY(SELECT id FROM sub ORDER BY id) AS units,
            ARRAY(SELECT s.id FROM sites s WHERE s.org_unit_id IN (SELECT id FROM sub) ORDER BY s.id) AS sites`,
    [user.orgUnitId],
  );
  const { units, sites } = rows[0] ?? { units: [], sites: [] };
  let subjects: string[] | null = null;
  if (user.role === 'officer') {
    const res = await pool.query<{ id: string }>('SELECT id FROM subjects WHERE officer_id = $1 AND site_id = ANY($2) ORDER BY id', [user.id, sites]);
    subjects = res.rows.map((r) => r.id);
  }
  return {
    units,
    sites,
    siteSet: new Set(sites),
    subjects,
    subjectSet: subjects ? new Set(subjects) : null,
    officerId: user.role === 'officer' ? user.id : null,
  };
}

/** Scopes for a few seconds per user: one query saved per request, and a change to the tree shows within `ttlMs`. */
export function createScopeCache(pool: Pool, ttlMs: number) {
  const cache = new Map<string, { at: number; scope: Promise<Scope> }>();
  return {
    get(user: { id: string; role: Role; orgUnitId: string }): Promise<Scope> {
      const key = `${user.id}\u0000${user.role}\u0000${user.orgUnitId}`;
      const hit = cache.get(key);
      const now = Date.now();
      if (hit && now - hit.at < ttlMs) return hit.scope;
      const scope = loadScope(pool, user);
      cache.set(key, { at: now, scope });
      scope.catch(() => cache.delete(key));
      if (cache.size > 10_000) for (const [k, v] of cache) if (now - v.at >= ttlMs) cache.delete(k);
      return scope;
    },
    clear(): void {
      cache.clear();
    },
  };
}
export type ScopeCache = ReturnType<typeof createScopeCache>;

/** Is an alert (or any row with site and subject, and possibly an officer) within the scope? */
export function alertInScope(scope: Scope, a: { site: string; subject?: string | null; officer?: string | null }): boolean {
  if (!scope.siteSet.has(a.site)) return false;
  if (scope.subjectSet === null) return true;
  return (a.subject != null && scope.subjectSet.has(a.subject)) || (a.officer != null && a.officer === scope.officerId);
}
