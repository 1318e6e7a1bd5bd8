import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Alert, Severity } from '@vigil/schemas';
import { NotifyError } from './errors.js';
import { scheduleOpen, type WeeklySchedule } from './schedule.js';
import { CHANNEL_NAMES, type ChannelName } from './types.js';

const Role = Type.Union(['administrator', 'supervisor', 'operator', 'officer', 'auditor'].map((r) => Type.Literal(r)));
const Text2 = Type.Object({ en: Type.String({ minLength: 1, maxLength: 140 }), 'zh-CN': Type.String({ minLength: 1, maxLength: 70 }) }, { additionalProperties: false });

/**
 * Who a policy (or an escalation step) reaches:
 * - `user`: one user;
 * - `role`: every user of that role at the alert's site's organisation unit, or `up` levels above it;
 * - `officer`: the officer assigned to the alert's subject;
 * - `on_duty`: whoever the site's roster has on duty now;
 * - `escalated_unit`: users (of `roles`, default supervisors) of the unit the alarm lifecycle escalated the alert to;
 * - `webhook`: a configured webhook (by name; the URL and secret are settings, not data);
 * - `device`: the subject's tag, over MQTT `cmd/notify` (vibration and an optional fixed message, e.g. "return home").
 */
export const RecipientSpec = Type.Union([
  Type.Object({ kind: Type.Literal('user'), id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('role'), role: Role, up: Type.Optional(Type.Integer({ minimum: 0, maximum: 4 })) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('officer') }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('on_duty') }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('escalated_unit'), roles: Type.Optional(Type.Array(Role, { minItems: 1 })) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('webhook'), name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('device'), vibrate: Type.Optional(Type.Boolean()), message: Type.Optional(Text2) }, { additionalProperties: false }),
]);
export type RecipientSpec = Static<typeof RecipientSpec>;

const Channel = Type.Union(CHANNEL_NAMES.map((c) => Type.Literal(c)));
export const EscalationStep = Type.Object(
  {
    /** Fires when the alert is still unacknowledged this long after it was raised. */
    after_ms: Type.Integer({ minimum: 1000 }),
    recipients: Type.Array(RecipientSpec, { minItems: 1 }),
    channels: Type.Array(Channel, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type EscalationStep = Static<typeof EscalationStep>;

export const Schedule = Type.Object(
  {
    tz: Type.String({ minLength: 1 }),
    windows: Type.Array(
      Type.Object(
        {
          days: Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), { minItems: 1 }),
          start: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
          end: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);

/** A notification policy as the runner uses it. */
export interface Policy {
  id: string;
  orgUnitId: string | null;
  siteId: string | null;
  rules: string[] | null;
  minSeverity: Severity;
  subjectId: string | null;
  recipients: RecipientSpec[];
  channels: ChannelName[];
  schedule: WeeklySchedule | null;
  escalation: EscalationStep[];
}

/** A row of `notification_policies`. */
export interface PolicyRow {
  id: string;
  org_unit_id: string | null;
  site_id: string | null;
  rules: string[] | null;
  min_severity: string;
  subject_id: string | null;
  recipients: unknown;
  channels: string[];
  schedule: unknown;
  escalation: unknown;
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
export const severityAtLeast = (s: Severity, min: Severity | 'none'): boolean => min !== 'none' && SEVERITY_RANK[s] >= SEVERITY_RANK[min];

/** Check one stored policy against its shape; the error names the policy and the field. */
export function parsePolicy(row: PolicyRow): Policy {
  const fail = (field: string, why: string): never => {
    throw new NotifyError('VIGIL_NOTIFY_POLICY', `policy ${row.id}: ${field}: ${why}`, { field });
  };
  const check = <T>(schema: Parameters<typeof Value.Check>[0], v: unknown, field: string): T => {
    if (Value.Check(schema, v)) return v as T;
    const e = Value.Errors(schema, v).First();
    return fail(`${field}${e?.path ?? ''}`, e?.message ?? 'invalid');
  };
  const recipients = check<RecipientSpec[]>(Type.Array(RecipientSpec, { minItems: 1 }), row.recipients, 'recipients');
  const channels = check<ChannelName[]>(Type.Array(Channel, { minItems: 1 }), row.channels, 'channels');
  const escalation = check<EscalationStep[]>(Type.Array(EscalationStep), row.escalation ?? [], 'escalation');
  const schedule = row.schedule == null ? null : check<WeeklySchedule>(Schedule, row.schedule, 'schedule');
  if (schedule) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: schedule.tz });
    } catch {
      fail('schedule.tz', `unknown time zone "${schedule.tz}"`);
    }
  }
  if (!(row.min_severity in SEVERITY_RANK)) fail('min_severity', `unknown severity "${row.min_severity}"`);
  return {
    id: row.id,
    orgUnitId: row.org_unit_id,
    siteId: row.site_id,
    rules: row.rules && row.rules.length ? row.rules : null,
    minSeverity: row.min_severity as Severity,
    subjectId: row.subject_id,
    recipients,
    channels,
    schedule,
    escalation,
  };
}

/**
 * Does the policy apply to this alert now? `siteUnits` is the chain of
 * organisation units from the alert's site's unit up to the root (so an
 * `org_unit_id` matches its whole subtree).
 */
export function policyMatches(p: Policy, alert: Pick<Alert, 'site' | 'rule' | 'severity' | 'subject'>, siteUnits: readonly string[], nowMs: number): boolean {
  if (p.siteId !== null && p.siteId !== alert.site) return false;
  if (p.orgUnitId !== null && !siteUnits.includes(p.orgUnitId)) return false;
  if (p.rules !== null && !p.rules.some((r) => r === alert.rule || (r.endsWith('.*') && alert.rule.startsWith(r.slice(0, -1))))) return false;
  if (!severityAtLeast(alert.severity, p.minSeverity)) return false;
  if (p.subjectId !== null && p.subjectId !== alert.subject) return false;
  if (p.schedule !== null && !scheduleOpen(p.schedule, nowMs)) return false;
  return true;
}
