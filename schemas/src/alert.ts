import { Type, type Static } from '@sinclair/typebox';
import { EpochMs, Id, Lat, Lon, Uuid } from './ids.js';

/** ISA-18.2 priority, highest first. */
export const Severity = Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]);
export type Severity = Static<typeof Severity>;

/** The alarm lifecycle of ARCHITECTURE.md "Alerts, dispatch, disposal". */
export const AlertState = Type.Union([
  Type.Literal('raised'),
  Type.Literal('acknowledged'),
  Type.Literal('dispatched'),
  Type.Literal('on_scene'),
  Type.Literal('resolved'),
  Type.Literal('shelved'),
  Type.Literal('suppressed'),
  Type.Literal('normal'),
  Type.Literal('out_of_service'),
]);
export type AlertState = Static<typeof AlertState>;

/** A fix kept as evidence of a breach. */
export const EvidenceFix = Type.Object(
  { msg_id: Uuid, ts: EpochMs, lat: Lat, lon: Lon, acc_m: Type.Number({ minimum: 0 }) },
  { additionalProperties: false },
);
export type EvidenceFix = Static<typeof EvidenceFix>;

/** What proves the alert: the fixes, the zone, the source messages. */
export const AlertEvidence = Type.Object(
  {
    fixes: Type.Optional(Type.Array(EvidenceFix, { maxItems: 100 })),
    zone_id: Type.Optional(Id),
    zone_name: Type.Optional(Type.String({ maxLength: 128 })),
    msg_ids: Type.Optional(Type.Array(Uuid, { maxItems: 100 })),
    /** The door, victim, roll or schedule window the alert is about, when there is one. */
    door: Type.Optional(Id),
    victim: Type.Optional(Id),
    area: Type.Optional(Id),
    /** Expected and counted people at a roll call. */
    expected: Type.Optional(Type.Integer({ minimum: 0 })),
    counted: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Distance in metres (victim protection) or battery percentage, as the rule measured it. */
    distance_m: Type.Optional(Type.Number({ minimum: 0 })),
    battery_pct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    /** Event time of the last message before a loss of signal or location (ms). */
    last_seen_ts: Type.Optional(EpochMs),
    window_start_ts: Type.Optional(EpochMs),
    window_end_ts: Type.Optional(EpochMs),
    /** Where the JPEG evidence frame of a camera detection is kept (boxes drawn). */
    snapshot_ref: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type AlertEvidence = Static<typeof AlertEvidence>;

/** What an operator or officer does to an alert (ISA-18.2 plus dispatch and disposal). */
export const AlertAction = Type.Union([
  Type.Literal('acknowledge'),
  Type.Literal('shelve'),
  Type.Literal('unshelve'),
  Type.Literal('dispatch'),
  Type.Literal('arrive'),
  Type.Literal('resolve'),
  Type.Literal('out_of_service'),
  Type.Literal('return_to_service'),
]);
export type AlertAction = Static<typeof AlertAction>;

/** How an alert was closed: reported per rule (alarm quality: which rules raise false alarms). */
export const Disposition = Type.Union([
  Type.Literal('violation_confirmed'),
  Type.Literal('false_alarm'),
  Type.Literal('equipment_fault'),
  Type.Literal('authorised'),
  Type.Literal('test'),
  Type.Literal('duplicate'),
  Type.Literal('other'),
]);
export type Disposition = Static<typeof Disposition>;

/**
 * The alert record: stored by analytics, published on
 * `vigil/v1/<site>/alerts`, served by the command centre.
 * `rule` names the rule that raised it (`zone.exclusion`), `key` folds
 * repeats of the same condition into one open alert.
 */
export const Alert = Type.Object(
  {
    v: Type.Literal(1),
    id: Uuid,
    rule: Type.String({ minLength: 1, maxLength: 64 }),
    key: Type.String({ minLength: 1, maxLength: 256 }),
    severity: Severity,
    state: AlertState,
    site: Id,
    dev: Id,
    subject: Type.Optional(Id),
    /** English and Chinese titles, so every display can show either. */
    title: Type.Object({ en: Type.String({ maxLength: 256 }), 'zh-CN': Type.String({ maxLength: 256 }) }, { additionalProperties: false }),
    raised_ts: EpochMs,
    last_ts: EpochMs,
    count: Type.Integer({ minimum: 1 }),
    evidence: AlertEvidence,
    // ISA-18.2 dimensions, optional so producers and consumers of the first record keep working.
    /** Acknowledged by an operator (separate from whether the condition is still active). */
    acked: Type.Optional(Type.Boolean()),
    /** The condition is still present; false once it returned to normal. */
    active: Type.Optional(Type.Boolean()),
    acked_by: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    acked_ts: Type.Optional(EpochMs),
    cleared_ts: Type.Optional(EpochMs),
    /** Shelved until this time (ms), by whom and why; it unshelves itself when the time passes. */
    shelved_until: Type.Optional(EpochMs),
    shelved_by: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    shelve_reason: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    /** The officer sent to it, and when they were sent and arrived. */
    officer: Type.Optional(Id),
    dispatched_ts: Type.Optional(EpochMs),
    arrived_ts: Type.Optional(EpochMs),
    resolved_ts: Type.Optional(EpochMs),
    disposition: Type.Optional(Disposition),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    /** Escalation: how many levels up the organisation it went, the unit it sits with now, and when. */
    escalation_level: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
    escalated_to: Type.Optional(Id),
    escalated_ts: Type.Optional(EpochMs),
    /** Wall-clock time of the last change to the record (ms). */
    updated_ts: Type.Optional(EpochMs),
  },
  { additionalProperties: false, $id: 'vigil.alert' },
);
export type Alert = Static<typeof Alert>;
