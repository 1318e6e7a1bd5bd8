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
  },
  { additionalProperties: false },
);
export type AlertEvidence = Static<typeof AlertEvidence>;

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
  },
  { additionalProperties: false, $id: 'vigil.alert' },
);
export type Alert = Static<typeof Alert>;
