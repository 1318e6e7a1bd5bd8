import type pg from 'pg';
import { parseRuleSet, type RuleSet, type ZoneConfig } from './ruleset.js';

interface ZoneRow {
  id: string;
  site_id: string;
  kind: ZoneConfig['kind'];
  name_en: string;
  name_zh: string;
  geometry: ZoneConfig['geometry'];
  radius_m: number | null;
  schedule: ZoneConfig['schedule'] | null;
  curfew: boolean;
  device_ids: string[] | null;
  min_fixes: number | null;
  min_duration_s: number | null;
  grace_s: number | null;
}

/**
 * The rule set of the registry: the active zones (table `zones`) plus the
 * `analytics_rule_sets` row `id` (thresholds, doors, areas, victim pairs).
 * `overrides` fill defaults the stored set leaves out (settings from the environment).
 * A bad stored value is an error naming the field (the caller keeps the rules it had).
 */
export async function loadRuleSet(pool: pg.Pool, opts: { id?: string; defaults?: Record<string, number> } = {}): Promise<RuleSet> {
  const zones = await pool.query<ZoneRow>(
    `SELECT id, site_id, kind, name_en, name_zh, geometry, radius_m, schedule, curfew, device_ids, min_fixes, min_duration_s, grace_s
       FROM zones WHERE active ORDER BY id`,
  );
  const cfg = await pool.query<{ config: Record<string, unknown> }>(`SELECT config FROM analytics_rule_sets WHERE id = $1`, [opts.id ?? 'default']);
  const stored = cfg.rows[0]?.config ?? {};
  const input = {
    ...stored,
    defaults: { ...opts.defaults, ...(stored.defaults as object | undefined) },
    zones: zones.rows.map((r) => ({
      id: r.id,
      site: r.site_id,
      kind: r.kind,
      name: { en: r.name_en, 'zh-CN': r.name_zh },
      geometry: r.geometry,
      ...(r.radius_m !== null ? { radius_m: r.radius_m } : {}),
      ...(r.schedule ? { schedule: r.schedule } : {}),
      ...(r.curfew ? { curfew: true } : {}),
      ...(r.device_ids ? { devices: r.device_ids } : {}),
      ...(r.min_fixes !== null ? { min_fixes: r.min_fixes } : {}),
      ...(r.min_duration_s !== null ? { min_duration_s: r.min_duration_s } : {}),
      ...(r.grace_s !== null ? { grace_s: r.grace_s } : {}),
    })),
  };
  const parsed = parseRuleSet(input);
  if (!parsed.ok) throw new Error(`rule set "${opts.id ?? 'default'}" is invalid at ${parsed.field}: ${parsed.message}`);
  return parsed.ruleSet;
}
