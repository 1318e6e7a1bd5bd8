import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
/** Local time at the site, HH:MM or HH:MM:SS. */
const LocalTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$' });

/** One injected event: at a local time, to one device of one kind, an action with arguments. */
export const ScenarioStep = Type.Object(
  {
    at: LocalTime,
    tag: Type.Optional(Id),
    gate: Type.Optional(Id),
    camera: Type.Optional(Id),
    do: Type.String({ minLength: 1, maxLength: 64 }),
    args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

/** A scenario file (YAML or JSON). */
export const ScenarioFile = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String()),
    /** Default seed; `--seed` overrides it. */
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295 })),
    /** The local date at the site (Asia/Shanghai), YYYY-MM-DD. */
    date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    start: LocalTime,
    end: LocalTime,
    /** Which of the demo caseload's tags run (default: all), and how often they fix. */
    tags: Type.Optional(
      Type.Object(
        {
          only: Type.Optional(Type.Array(Id, { minItems: 1 })),
          fix_interval_s: Type.Optional(Type.Number({ minimum: 0.1, maximum: 3600 })),
          pursuit_interval_s: Type.Optional(Type.Number({ minimum: 0.1, maximum: 3600 })),
          health_interval_s: Type.Optional(Type.Number({ minimum: 1, maximum: 86_400 })),
          phone_interval_s: Type.Optional(Type.Number({ minimum: 1, maximum: 3600 })),
        },
        { additionalProperties: false },
      ),
    ),
    steps: Type.Array(ScenarioStep),
  },
  { additionalProperties: false },
);
export type ScenarioFile = Static<typeof ScenarioFile>;
