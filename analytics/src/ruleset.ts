import { Type, type Static } from '@sinclair/typebox';
import { check, Id } from '@vigil/schemas';
import { isTimeZone, parseHhMm } from './schedule.js';

const HhMm = Type.String({ pattern: '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$' });
const Name = Type.Object({ en: Type.String({ minLength: 1, maxLength: 128 }), 'zh-CN': Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

export const ScheduleSchema = Type.Object(
  {
    weekly: Type.Array(
      Type.Object({ days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }), start: HhMm, end: HhMm }, { additionalProperties: false }),
      { maxItems: 64 },
    ),
    exceptions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
            off: Type.Optional(Type.Boolean()),
            windows: Type.Optional(Type.Array(Type.Object({ start: HhMm, end: HhMm }, { additionalProperties: false }), { maxItems: 16 })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 366 },
      ),
    ),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const Position = Type.Array(Type.Number(), { minItems: 2, maxItems: 3 });
const Ring = Type.Array(Position, { minItems: 4 });
export const ZoneGeometry = Type.Union([
  Type.Object({ type: Type.Literal('Polygon'), coordinates: Type.Array(Ring, { minItems: 1 }) }),
  Type.Object({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Array(Ring, { minItems: 1 }), { minItems: 1 }) }),
  /** A circle: its centre, with `radius_m` on the zone. */
  Type.Object({ type: Type.Literal('Point'), coordinates: Position }),
]);

/** A zone: inclusion or exclusion, polygon or circle (GeoJSON Point + radius_m), optionally on a weekly schedule. */
export const ZoneConfig = Type.Object(
  {
    id: Id,
    site: Id,
    kind: Type.Union([Type.Literal('inclusion'), Type.Literal('exclusion')]),
    name: Name,
    geometry: ZoneGeometry,
    radius_m: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
    /** In force only during these windows; always in force without one. */
    schedule: Type.Optional(ScheduleSchema),
    /** An inclusion zone with a schedule checked as a curfew: late arrival, leaving, no fix. */
    curfew: Type.Optional(Type.Boolean()),
    /** The devices it applies to; every device of the site when absent. */
    devices: Type.Optional(Type.Array(Id, { maxItems: 10_000 })),
    /** Consecutive certain fixes before a breach (default `defaults.min_fixes`). */
    min_fixes: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** Or this long in breach (s), whichever comes first. */
    min_duration_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    /** Curfew: how long after the window starts the subject may still arrive (s). */
    grace_s: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  },
  { additionalProperties: false },
);
export type ZoneConfig = Static<typeof ZoneConfig>;

export const DoorConfig = Type.Object(
  {
    id: Id,
    site: Id,
    name: Type.Optional(Name),
    /** Held open longer than this (s) is an alarm. */
    held_open_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    /** Scheduled unlock: open during these windows is by design, not an alarm. */
    unlock: Type.Optional(ScheduleSchema),
    /** This many denied cards within `denied_window_s` is an alarm. */
    denied_limit: Type.Optional(Type.Integer({ minimum: 2, maximum: 100 })),
    denied_window_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    /** The area this door leads into (headcount and anti-passback); `in` means into it. */
    area: Type.Optional(Id),
    /** The controller device that reports this door: its messages go to the process that owns the area. */
    dev: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type DoorConfig = Static<typeof DoorConfig>;

export const AreaConfig = Type.Object(
  {
    id: Id,
    site: Id,
    name: Type.Optional(Name),
    /** People expected inside at roll call. */
    expected: Type.Integer({ minimum: 0, maximum: 100_000 }),
    /** Local roll-call times each day. */
    roll_calls: Type.Array(HhMm, { maxItems: 24 }),
    anti_passback: Type.Optional(Type.Boolean()),
    /** Cards inside when counting starts. */
    initial: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100_000 })),
  },
  { additionalProperties: false },
);
export type AreaConfig = Static<typeof AreaConfig>;

export const VictimConfig = Type.Object(
  {
    id: Id,
    site: Id,
    /** The supervised subject's tag and the protected person's device. */
    offender_dev: Id,
    victim_dev: Id,
    distance_m: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
  },
  { additionalProperties: false },
);
export type VictimConfig = Static<typeof VictimConfig>;

export const RuleDefaults = Type.Object(
  {
    min_fixes: Type.Integer({ minimum: 1, maximum: 100 }),
    evidence_fixes: Type.Integer({ minimum: 1, maximum: 100 }),
    comm_loss_s: Type.Integer({ minimum: 1, maximum: 604_800 }),
    location_loss_s: Type.Integer({ minimum: 1, maximum: 604_800 }),
    battery_low_pct: Type.Number({ minimum: 0, maximum: 100 }),
    battery_critical_pct: Type.Number({ minimum: 0, maximum: 100 }),
    battery_hysteresis_pct: Type.Number({ minimum: 0, maximum: 50 }),
    held_open_s: Type.Integer({ minimum: 1, maximum: 86_400 }),
    denied_limit: Type.Integer({ minimum: 2, maximum: 100 }),
    denied_window_s: Type.Integer({ minimum: 1, maximum: 86_400 }),
    victim_stale_s: Type.Integer({ minimum: 1, maximum: 86_400 }),
    /** A closed alert does not reopen for repeats within this span (s). */
    cooldown_s: Type.Integer({ minimum: 0, maximum: 86_400 }),
  },
  { additionalProperties: false },
);
export type RuleDefaults = Static<typeof RuleDefaults>;

/** Everything the rules read: a JSON file for `replay`, or the registry (zones table + `analytics_rule_sets`). */
export const RuleSetSchema = Type.Object(
  {
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    defaults: Type.Optional(Type.Partial(RuleDefaults)),
    zones: Type.Optional(Type.Array(ZoneConfig, { maxItems: 100_000 })),
    doors: Type.Optional(Type.Array(DoorConfig, { maxItems: 100_000 })),
    areas: Type.Optional(Type.Array(AreaConfig, { maxItems: 10_000 })),
    victims: Type.Optional(Type.Array(VictimConfig, { maxItems: 100_000 })),
    /** Device id -> subject id, put on the alerts. */
    subjects: Type.Optional(Type.Record(Type.String(), Id)),
  },
  { additionalProperties: false },
);
export type RuleSetInput = Static<typeof RuleSetSchema>;

export const DEFAULTS: RuleDefaults = {
  min_fixes: 1,
  evidence_fixes: 10,
  comm_loss_s: 900,
  location_loss_s: 1800,
  battery_low_pct: 20,
  battery_critical_pct: 5,
  battery_hysteresis_pct: 5,
  held_open_s: 60,
  denied_limit: 3,
  denied_window_s: 60,
  victim_stale_s: 300,
  cooldown_s: 60,
};

/** A checked rule set with every default filled in. */
export interface RuleSet {
  timezone: string;
  defaults: RuleDefaults;
  zones: ZoneConfig[];
  doors: DoorConfig[];
  areas: AreaConfig[];
  victims: VictimConfig[];
  subjects: Record<string, string>;
}

/** Check a rule set; a bad one is an error naming the field. */
export function parseRuleSet(value: unknown): { ok: true; ruleSet: RuleSet } | { ok: false; field: string; message: string } {
  const r = check(RuleSetSchema, value);
  if (!r.ok) return { ok: false, field: r.error.field, message: r.error.message };
  const v = r.value;
  const tz = v.timezone ?? 'Asia/Shanghai';
  if (!isTimeZone(tz)) return { ok: false, field: '/timezone', message: `/timezone: unknown time zone "${tz}"` };
  const zones = v.zones ?? [];
  for (const [i, z] of zones.entries()) {
    if (z.geometry.type === 'Point' && z.radius_m === undefined) return { ok: false, field: `/zones/${i}/radius_m`, message: `/zones/${i}/radius_m: a circle zone (Point) needs radius_m` };
    if (z.schedule?.timezone && !isTimeZone(z.schedule.timezone)) return { ok: false, field: `/zones/${i}/schedule/timezone`, message: `unknown time zone "${z.schedule.timezone}"` };
    if (z.curfew && (!z.schedule || z.kind !== 'inclusion')) return { ok: false, field: `/zones/${i}/curfew`, message: `/zones/${i}/curfew: a curfew is an inclusion zone with a schedule` };
  }
  for (const a of v.areas ?? []) for (const t of a.roll_calls) if (parseHhMm(t) === undefined) return { ok: false, field: `/areas/${a.id}/roll_calls`, message: `bad time "${t}"` };
  return {
    ok: true,
    ruleSet: { timezone: tz, defaults: { ...DEFAULTS, ...v.defaults }, zones, doors: v.doors ?? [], areas: v.areas ?? [], victims: v.victims ?? [], subjects: v.subjects ?? {} },
  };
}

/** The empty rule set (defaults only). */
export function emptyRuleSet(): RuleSet {
  return { timezone: 'Asia/Shanghai', defaults: { ...DEFAULTS }, zones: [], doors: [], areas: [], victims: [], subjects: {} };
}
