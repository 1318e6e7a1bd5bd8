import type { Pool } from 'pg';
import type { Alert } from '@vigil/schemas';
import type { Logger } from '../logger.js';
import type { NotifyError } from './errors.js';
import { parsePolicy, policyMatches, type Policy, type PolicyRow } from './policy.js';
import type { Resolver } from './recipients.js';
import { firstSteps, type Selection } from './router.js';

/** Options of `createEscalation`. */
export interface EscalationOptions {
  pool: Pool;
  resolver: Resolver;
  log: Logger;
  /** Policies are re-read from the database this often. */
  policyCacheMs: number;
  /** Alerts never routed are given step 0 by the sweep if raised within this. */
  catchUpMs: number;
  /** Told of every enabled policy that does not parse (it is skipped). */
  onBadPolicy(): void;
}

/** Which steps of which policies an alert is due: on arrival, and on each sweep. */
export interface Escalation {
  /** On arrival: step 0 of every matching policy (raised, unacknowledged) and the unit the lifecycle escalated it to. */
  onArrival(alert: Alert, nowMs: number): Promise<Selection[]>;
  /** On the sweep: step 0 missed while down, escalation steps now due, the lifecycle level's unit; none already in `have`. */
  due(alert: Alert, have: ReadonlySet<number>, nowMs: number): Promise<Selection[]>;
}

export function createEscalation(opts: EscalationOptions): Escalation {
  const { pool, resolver, log } = opts;

  let policyCache: { at: number; value: Promise<Policy[]> } | null = null;
  function policies(): Promise<Policy[]> {
    const now = Date.now();
    if (policyCache && now - policyCache.at < opts.policyCacheMs) return policyCache.value;
    const value = pool.query<PolicyRow>('SELECT * FROM notification_policies WHERE enabled ORDER BY id').then(({ rows }) =>
      rows.flatMap((r) => {
        try {
          return [parsePolicy(r)];
        } catch (err) {
          // Not silent: a bad policy is logged with the field and counted, and the others still apply.
          opts.onBadPolicy();
          log.error({ code: (err as NotifyError).code, policy: r.id, field: (err as NotifyError).field, err: (err as Error).message }, 'notification policy skipped');
          return [];
        }
      }),
    );
    policyCache = { at: now, value };
    value.catch(() => (policyCache = null));
    return value;
  }

  async function selectionsFor(alert: Alert, nowMs: number, steps: 'first' | 'lifecycle'): Promise<Selection[]> {
    const siteUnits = await resolver.siteUnits(alert.site, nowMs);
    const matching = (await policies()).filter((p) => policyMatches(p, alert, siteUnits, nowMs));
    if (steps === 'first') return firstSteps(matching);
    // The alarm lifecycle moved the alert up a level: tell that unit (escalated_unit recipients of any step).
    const level = alert.escalation_level ?? 0;
    return matching.flatMap((p) =>
      [{ recipients: p.recipients, channels: p.channels }, ...p.escalation].flatMap((s) => {
        const specs = s.recipients.filter((r) => r.kind === 'escalated_unit');
        return specs.length ? [{ policyId: p.id, step: 100 + level, recipients: specs, channels: s.channels }] : [];
      }),
    );
  }

  async function onArrival(alert: Alert, nowMs: number): Promise<Selection[]> {
    const sels: Selection[] = [];
    if (alert.state === 'raised' && !alert.acked) sels.push(...(await selectionsFor(alert, nowMs, 'first')));
    if ((alert.escalation_level ?? 0) > 0 && !alert.acked && alert.escalated_to) sels.push(...(await selectionsFor(alert, nowMs, 'lifecycle')));
    return sels;
  }

  async function due(alert: Alert, have: ReadonlySet<number>, nowMs: number): Promise<Selection[]> {
    const siteUnits = await resolver.siteUnits(alert.site, nowMs);
    const matching = (await policies()).filter((p) => policyMatches(p, alert, siteUnits, nowMs));
    const sels: Selection[] = [];
    // Missed while this runner was down (or the feed dropped it): step 0 now.
    if (!have.has(0) && alert.raised_ts > nowMs - opts.catchUpMs) sels.push(...firstSteps(matching));
    for (const p of matching) {
      p.escalation.forEach((s, i) => {
        if (!have.has(i + 1) && alert.raised_ts + s.after_ms <= nowMs) sels.push({ policyId: p.id, step: i + 1, recipients: s.recipients, channels: s.channels });
      });
    }
    const level = alert.escalation_level ?? 0;
    if (level > 0 && !have.has(100 + level)) sels.push(...(await selectionsFor(alert, nowMs, 'lifecycle')));
    return sels;
  }

  return { onArrival, due };
}
