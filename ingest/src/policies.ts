import type pg from 'pg';
import { optionalEnv, type Env } from './config.js';
import { ConfigError, IngestError } from './errors.js';
import { createLogger, type Logger } from './logger.js';

/** Ages for `applyPolicies`, as PostgreSQL interval text (`'7 days'`); see `parsePolicyInterval`. */
export interface PolicyOptions {
  /** Compress a hypertable's chunks once they are this old. At least 1 day. */
  compressAfter: string;
  /** Drop raw chunks once they are this old; null keeps them forever. At least 1 day. */
  retainFor: string | null;
  logger?: Logger;
}

/** What `vigil_apply_policies` did for one table or view and one feature. */
export interface PolicyResult {
  /** Table or view name; `*` when the whole step was skipped. */
  object: string;
  feature: 'compression' | 'retention' | 'continuous_aggregate' | 'policies';
  /** `applied`; `disabled` (retention forever); `by_query` (plain view); `unsupported` or `skipped` (this server cannot). */
  status: 'applied' | 'disabled' | 'by_query' | 'unsupported' | 'skipped';
  detail: string;
}

/**
 * Set compression, retention and aggregate-refresh policies from the given ages
 * by calling `vigil_apply_policies` (migration 012). Idempotent, so it runs at
 * every start. On plain PostgreSQL, or where a TimescaleDB feature is missing
 * (Apache-2 build), that feature is skipped and logged; nothing fails.
 */
export async function applyPolicies(pool: pg.Pool, opts: PolicyOptions): Promise<PolicyResult[]> {
  const log = opts.logger ?? createLogger('policies');
  let rows: PolicyResult[];
  try {
    const res = await pool.query<PolicyResult>('SELECT object, feature, status, detail FROM vigil_apply_policies($1::interval, $2::interval)', [
      opts.compressAfter,
      opts.retainFor,
    ]);
    rows = res.rows;
  } catch (err) {
    throw new IngestError('VIGIL_INGEST_DB', `applying storage policies failed: ${(err as Error).message}`, { cause: err });
  }
  const missing = rows.filter((r) => r.status === 'unsupported' || r.status === 'skipped');
  for (const r of missing) log.warn({ object: r.object, feature: r.feature, reason: r.detail }, 'storage feature not available on this server; using the plain-PostgreSQL path');
  const byQuery = rows.filter((r) => r.status === 'by_query').map((r) => r.object);
  log.info({ compressAfter: opts.compressAfter, retainFor: opts.retainFor ?? 'forever', applied: rows.filter((r) => r.status === 'applied').length, byQuery }, 'storage policies applied');
  return rows;
}

const UNIT_HOURS: Record<string, number> = { h: 1, hour: 1, hours: 1, d: 24, day: 24, days: 24, w: 168, week: 168, weeks: 168 };
const MIN_HOURS = 24;
// 100 years: beyond that a typo is likelier than intent.
const MAX_HOURS = 24 * 36_525;

/**
 * `'<n> <unit>'` (unit hour(s)/h, day(s)/d, week(s)/w; at least 1 day, at most
 * 100 years) as canonical interval text (`'7 days'`, `'36 hours'`), or undefined.
 * Months and years are refused: their length varies, and TimescaleDB's
 * aggregate refresh window needs a fixed one.
 */
export function parsePolicyInterval(text: string): string | undefined {
  const m = /^(\d{1,7})\s*([a-z]+)$/.exec(text.trim().toLowerCase());
  const perUnit = m ? UNIT_HOURS[m[2]!] : undefined;
  if (!m || perUnit === undefined) return undefined;
  const hours = Number(m[1]) * perUnit;
  if (hours < MIN_HOURS || hours > MAX_HOURS) return undefined;
  return hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`;
}

/**
 * A policy age setting (see `parsePolicyInterval`), or `fallback` when unset;
 * with `forever: true`, the value `forever` gives null (no limit). A bad value
 * is a ConfigError naming the variable.
 */
export function policyIntervalEnv(name: string, fallback: string, opts: { forever: true }, env?: Env): string | null;
export function policyIntervalEnv(name: string, fallback: string, opts?: { forever?: false }, env?: Env): string;
export function policyIntervalEnv(name: string, fallback: string, opts: { forever?: boolean } = {}, env: Env = process.env): string | null {
  const raw = optionalEnv(name, fallback, env);
  if (opts.forever && raw.toLowerCase() === 'forever') return null;
  const interval = parsePolicyInterval(raw);
  if (interval === undefined) {
    const also = opts.forever ? ', or "forever"' : '';
    const alsoZh = opts.forever ? '，或 "forever"（永久保留）' : '';
    throw new ConfigError(
      name,
      `${name}: must be "<n> hours|days|weeks" from 1 day to 100 years${also}, e.g. "7 days", got ${JSON.stringify(raw)} / ` +
        `配置项 ${name}：必须是 "<数字> hours|days|weeks"，范围 1 天到 100 年${alsoZh}，例如 "7 days"，当前为 ${JSON.stringify(raw)}`,
    );
  }
  return interval;
}
