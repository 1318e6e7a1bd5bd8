import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';

const reconnectMs = Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000, description: 'wait before reconnecting, ms (default 2000)' }));

/** Where the NMEA comes from: the agent listens, connects out, or reads a serial device. */
export const NmeaSource = Type.Union([
  Type.Object(
    { kind: Type.Literal('tcp-listen'), host: Type.Optional(Type.String({ minLength: 1 })), port: Type.Integer({ minimum: 0, maximum: 65_535 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('tcp-connect'), host: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 1, maximum: 65_535 }), reconnectMs },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('serial'),
      path: Type.String({ minLength: 1 }),
      baudRate: Type.Optional(Type.Integer({ minimum: 300, maximum: 4_000_000 })),
      reconnectMs,
    },
    { additionalProperties: false },
  ),
]);

/** The `config` block of an `nmea` driver instance. */
export const NmeaConfig = Type.Object(
  {
    source: NmeaSource,
    /** The tags this driver speaks for; others are counted (`unknown-tag`) and dropped. Absent: any tag that identifies itself. */
    tags: Type.Optional(Type.Array(Id, { maxItems: 100_000 })),
    /** User equivalent range error: acc_m = HDOP × uereM. Default 5. */
    uereM: Type.Optional(Type.Number({ minimum: 0.1, maximum: 100 })),
    /** A fix whose GGA came without its RMC is published after this long. Default 500 ms. */
    epochFlushMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 10_000 })),
    /** Longer lines are counted (`overlong`) and dropped. Default 256. */
    maxLineBytes: Type.Optional(Type.Integer({ minimum: 82, maximum: 4_096 })),
  },
  { additionalProperties: false },
);
export type NmeaConfig = Static<typeof NmeaConfig>;
