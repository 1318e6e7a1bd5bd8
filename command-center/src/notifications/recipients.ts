import type { Pool } from 'pg';
import type { Alert, Severity } from '@vigil/schemas';
import type { RecipientSpec } from './policy.js';
import type { Lang } from './types.js';

/** A person to notify, with how to reach them. */
export interface UserTarget {
  kind: 'user';
  userId: string;
  lang: Lang;
  email: string | null;
  phone: string | null;
  timeZone: string;
  quiet: { startMin: number; endMin: number; bypass: Severity | 'none' } | null;
}
/** A configured webhook, by name. */
export interface WebhookTarget {
  kind: 'webhook';
  name: string;
}
/** The subject's tag (MQTT `cmd/notify`). */
export interface DeviceTarget {
  kind: 'device';
  site: string;
  dev: string;
  vibrate: boolean;
  message?: { en: string; 'zh-CN': string };
}
export type Target = UserTarget | WebhookTarget | DeviceTarget;

interface UserRow {
  id: string;
  lang: Lang | null;
  email: string | null;
  phone: string | null;
  time_zone: string | null;
  quiet_start_min: number | null;
  quiet_end_min: number | null;
  quiet_bypass_severity: Severity | 'none' | null;
}

const USER_SQL = `SELECT u.id, c.lang, c.email, c.phone, c.time_zone, c.quiet_start_min, c.quiet_end_min, c.quiet_bypass_severity
                    FROM users u LEFT JOIN notification_contacts c ON c.user_id = u.id
                   WHERE u.disabled_at IS NULL AND `;

function toTarget(r: UserRow): UserTarget {
  return {
    kind: 'user',
    userId: r.id,
    lang: r.lang ?? 'zh-CN',
    email: r.email,
    phone: r.phone,
    timeZone: r.time_zone ?? 'Asia/Shanghai',
    quiet: r.quiet_start_min !== null && r.quiet_end_min !== null ? { startMin: r.quiet_start_min, endMin: r.quiet_end_min, bypass: r.quiet_bypass_severity ?? 'critical' } : null,
  };
}

/** What a recipient spec is resolved against. */
export interface ResolveContext {
  alert: Pick<Alert, 'site' | 'dev' | 'subject' | 'escalated_to'>;
  /** The alert's site's organisation unit, then its parent, up to the root. */
  siteUnits: readonly string[];
  nowMs: number;
}

/**
 * Resolve recipient specs to targets (users de-duplicated). Lookups are cached
 * for `cacheMs` (default 5 s) so a storm of alerts does not query the same
 * roster a thousand times; a change shows within that time.
 */
export function createResolver(pool: Pool, opts: { cacheMs?: number } = {}) {
  const cacheMs = opts.cacheMs ?? 5000;
  const cache = new Map<string, { at: number; value: Promise<Target[]> }>();

  function cached(key: string, nowMs: number, load: () => Promise<Target[]>): Promise<Target[]> {
    const hit = cache.get(key);
    if (hit && nowMs - hit.at < cacheMs) return hit.value;
    const value = load();
    cache.set(key, { at: nowMs, value });
    value.catch(() => cache.delete(key));
    if (cache.size > 5000) for (const [k, v] of cache) if (nowMs - v.at >= cacheMs) cache.delete(k);
    return value;
  }

  const users = async (where: string, params: unknown[]): Promise<Target[]> => (await pool.query<UserRow>(USER_SQL + where + ' ORDER BY u.id', params)).rows.map(toTarget);

  function one(spec: RecipientSpec, ctx: ResolveContext): Promise<Target[]> {
    const { alert, siteUnits, nowMs } = ctx;
    switch (spec.kind) {
      case 'user':
        return cached(`u:${spec.id}`, nowMs, () => users('u.id = $1', [spec.id]));
      case 'role': {
        const unit = siteUnits[spec.up ?? 0];
        if (unit === undefined) return Promise.resolve([]);
        return cached(`r:${spec.role}:${unit}`, nowMs, () => users('u.role = $1 AND u.org_unit_id = $2', [spec.role, unit]));
      }
      case 'officer':
        if (!alert.subject) return Promise.resolve([]);
        return cached(`o:${alert.subject}`, nowMs, () => users('u.id = (SELECT officer_id FROM subjects WHERE id = $1)', [alert.subject]));
      case 'on_duty':
        return cached(`d:${alert.site}`, nowMs, () =>
          users('u.id IN (SELECT user_id FROM on_duty_roster WHERE site_id = $1 AND starts_at <= to_timestamp($2 / 1000.0) AND ends_at > to_timestamp($2 / 1000.0))', [alert.site, nowMs]),
        );
      case 'escalated_unit': {
        if (!alert.escalated_to) return Promise.resolve([]);
        const roles = spec.roles ?? ['supervisor'];
        return cached(`e:${alert.escalated_to}:${roles.join(',')}`, nowMs, () => users('u.org_unit_id = $1 AND u.role = ANY($2)', [alert.escalated_to, roles]));
      }
      case 'webhook':
        return Promise.resolve([{ kind: 'webhook', name: spec.name }]);
      case 'device':
        if (!alert.subject) return Promise.resolve([]);
        return cached(`t:${alert.subject}`, nowMs, async () => {
          // The subject's tag; the alert's own device when the registry has none.
          const { rows } = await pool.query<{ id: string; site_id: string }>(
            `SELECT id, site_id FROM devices WHERE subject_id = $1 AND kind = 'tag' AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1`,
            [alert.subject],
          );
          const r = rows[0];
          return [{ kind: 'device', site: r?.site_id ?? alert.site, dev: r?.id ?? alert.dev, vibrate: true }];
        }).then((ts) => ts.map((t) => ({ ...(t as DeviceTarget), vibrate: spec.vibrate ?? true, ...(spec.message ? { message: spec.message } : {}) })));
    }
  }

  return {
    async resolve(specs: readonly RecipientSpec[], ctx: ResolveContext): Promise<Target[]> {
      const out: Target[] = [];
      const seen = new Set<string>();
      for (const spec of specs) {
        for (const t of await one(spec, ctx)) {
          const key = t.kind === 'user' ? `u:${t.userId}` : t.kind === 'webhook' ? `w:${t.name}` : `d:${t.site}/${t.dev}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push(t);
        }
      }
      return out;
    },
    /** The organisation units from a site's unit up to the root (cached). */
    siteUnits(site: string, nowMs: number): Promise<string[]> {
      const key = `s:${site}`;
      const hit = cache.get(key);
      if (hit && nowMs - hit.at < cacheMs) return hit.value as unknown as Promise<string[]>;
      const value = pool
        .query<{ id: string }>(
          `WITH RECURSIVE up AS (
             SELECT o.id, o.parent_id, 0 AS depth FROM org_units o JOIN sites s ON s.org_unit_id = o.id WHERE s.id = $1
             UNION ALL
             SELECT o.id, o.parent_id, up.depth + 1 FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 10
           ) SELECT id FROM up ORDER BY depth`,
          [site],
        )
        .then((r) => r.rows.map((x) => x.id));
      cache.set(key, { at: nowMs, value: value as unknown as Promise<Target[]> });
      return value;
    },
    clear(): void {
      cache.clear();
    },
  };
}
export type Resolver = ReturnType<typeof createResolver>;
