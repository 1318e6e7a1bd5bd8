import { randomInt } from 'node:crypto';
import type { Pool } from 'pg';
import type { Alert } from '@vigil/schemas';
import { existingLinks, linkKey, storeRouted, type NewLink, type NewNotification } from './outbox.js';
import { severityAtLeast, type Policy, type RecipientSpec } from './policy.js';
import type { Resolver, Target } from './recipients.js';
import { inWindow, localTime } from './schedule.js';
import type { StormControl, StormDecision } from './storm.js';
import type { AlertSummary, ChannelName } from './types.js';

/** One group of recipients on some channels at one step of a policy. */
export interface Selection {
  policyId: string;
  step: number;
  recipients: readonly RecipientSpec[];
  channels: readonly ChannelName[];
}

/** What routing one alert did. */
export interface RouteReport {
  /** New rows sent at once, alerts folded into group or digest rows, rows held by quiet hours, and duplicates skipped. */
  immediate: number;
  batched: number;
  quiet: number;
  duplicate: number;
  channels: Set<ChannelName>;
  /** Earliest due time of a new batch row (to wake the runner then). */
  nextDueMs: number | null;
}

export interface RouterDeps {
  pool: Pool;
  resolver: Resolver;
  storm: StormControl;
  newId(): string;
  maxAttempts: number;
  /** Channels this runner has; intents for others are not stored. */
  channels: ReadonlySet<ChannelName>;
}

export function summaryOf(a: Alert): AlertSummary {
  return {
    id: a.id,
    rule: a.rule,
    severity: a.severity,
    site: a.site,
    dev: a.dev,
    ...(a.subject ? { subject: a.subject } : {}),
    title: a.title,
    raised_ts: a.raised_ts,
  };
}

/**
 * The selections of the matching policies at step 0 (their recipients and channels).
 * `escalated_unit` recipients are left to the lifecycle's escalation (steps 100 + level).
 */
export function firstSteps(policies: readonly Policy[]): Selection[] {
  return policies.flatMap((p) => {
    const recipients = p.recipients.filter((r) => r.kind !== 'escalated_unit');
    return recipients.length ? [{ policyId: p.id, step: 0, recipients, channels: p.channels }] : [];
  });
}

/** SMS numbers are compared without a leading '+', as gateways send them. */
export const normalisePhone = (p: string): string => p.replace(/^\+/, '');

interface Intent {
  policyId: string;
  step: number;
  channel: ChannelName;
  address: string;
  target: Target;
  quiet: boolean;
}

function intentsFor(sel: Selection, targets: Target[], alert: Alert, nowMs: number, have: ReadonlySet<ChannelName>): Intent[] {
  const out: Intent[] = [];
  for (const t of targets) {
    for (const channel of sel.channels) {
      if (!have.has(channel)) continue;
      let address: string | null = null;
      let quiet = false;
      if (t.kind === 'user') {
        if (channel === 'email') address = t.email;
        else if (channel === 'sms') address = t.phone ? normalisePhone(t.phone) : null;
        else if (channel === 'in-app') address = t.userId;
        // Quiet hours hold e-mail and SMS below the bypass severity; the in-app list always shows it.
        if (address && t.quiet && (channel === 'email' || channel === 'sms')) {
          const { minute } = localTime(t.timeZone, nowMs);
          quiet = inWindow(minute, t.quiet.startMin, t.quiet.endMin) && !severityAtLeast(alert.severity, t.quiet.bypass);
        }
      } else if (t.kind === 'webhook' && channel === 'webhook') address = t.name;
      else if (t.kind === 'device' && channel === 'mqtt') address = `${t.site}/${t.dev}`;
      if (address) out.push({ policyId: sel.policyId, step: sel.step, channel, address, target: t, quiet });
    }
  }
  return out;
}

/**
 * Route one alert through the given selections: resolve recipients, apply
 * quiet hours and storm control, and store every row and link in one
 * transaction before anything is sent. An (alert, channel, address, step)
 * already stored is skipped, so a replayed alert is not notified twice.
 */
export async function routeAlert(deps: RouterDeps, alert: Alert, selections: readonly Selection[], nowMs: number): Promise<RouteReport> {
  const report: RouteReport = { immediate: 0, batched: 0, quiet: 0, duplicate: 0, channels: new Set(), nextDueMs: null };
  if (!selections.length) return report;
  const siteUnits = await deps.resolver.siteUnits(alert.site, nowMs);
  const intents: Intent[] = [];
  for (const sel of selections) {
    const targets = await deps.resolver.resolve(sel.recipients, { alert, siteUnits, nowMs });
    intents.push(...intentsFor(sel, targets, alert, nowMs, deps.channels));
  }
  if (!intents.length) return report;
  const summary = summaryOf(alert);
  const kind = `${alert.rule}@${alert.site}`;
  {
    const have = await existingLinks(deps.pool, alert.id);
    const rows: NewNotification[] = [];
    const links: NewLink[] = [];
    for (const it of intents) {
      const key = linkKey(it.channel, it.address, it.step);
      if (have.has(key)) {
        report.duplicate += 1;
        continue;
      }
      have.add(key);
      const user = it.target.kind === 'user' ? it.target : null;
      const base = {
        channel: it.channel,
        userId: user?.userId ?? null,
        address: it.address,
        lang: user?.lang ?? 'zh-CN',
        policyId: it.policyId,
        step: it.step,
        groupKey: kind,
        maxAttempts: deps.maxAttempts,
        shortCode: it.channel === 'sms' ? String(randomInt(0, 10_000)).padStart(4, '0') : null,
        payload: payloadOf(it.target),
      } as const;
      const link = (notificationId: string): NewLink => ({ notificationId, alertId: alert.id, channel: it.channel, address: it.address, step: it.step, summary });
      if (it.quiet) {
        const id = deps.newId();
        rows.push({ ...base, id, kind: 'single', state: 'suppressed', nextAttemptAtMs: nowMs, lastError: 'quiet hours / 免打扰时段' });
        links.push(link(id));
        report.quiet += 1;
        continue;
      }
      // Critical alerts are never held for grouping (they still count towards the rate limit).
      // Webhooks feed other systems, not people: every alert goes on its own, no storm control.
      const d: StormDecision = it.channel === 'webhook' ? { action: 'send' } : deps.storm.decide(`${it.channel}:${it.address}`, alert.severity === 'critical' ? `${kind}#${alert.id}` : kind, nowMs);
      report.channels.add(it.channel);
      if (d.action === 'send') {
        const id = deps.newId();
        rows.push({ ...base, id, kind: 'single', state: 'pending', nextAttemptAtMs: nowMs });
        links.push(link(id));
        report.immediate += 1;
      } else {
        if (d.isNew) {
          rows.push({ ...base, id: d.batchId, kind: d.action, groupKey: d.action === 'digest' ? null : kind, state: 'pending', nextAttemptAtMs: d.sendAt });
          report.nextDueMs = Math.min(report.nextDueMs ?? d.sendAt, d.sendAt);
        }
        links.push(link(d.batchId));
        report.batched += 1;
      }
    }
    await storeRouted(deps.pool, rows, links);
  }
  return report;
}

function payloadOf(t: Target): Record<string, unknown> {
  if (t.kind === 'user') return { tz: t.timeZone };
  if (t.kind === 'device') return { tz: 'Asia/Shanghai', site: t.site, dev: t.dev, vibrate: t.vibrate, ...(t.message ? { message: t.message } : {}) };
  return { tz: 'UTC' };
}
