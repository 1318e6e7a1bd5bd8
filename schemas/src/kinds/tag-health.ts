import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';

/** Periodic health of an electronic tag. */
export const TagHealthBody = Type.Object(
  {
    battery_pct: Type.Number({ minimum: 0, maximum: 100 }),
    /** Cellular signal strength in dBm. */
    rssi_dbm: Type.Optional(Type.Number({ minimum: -150, maximum: 0 })),
    charging: Type.Optional(Type.Boolean()),
    temp_c: Type.Optional(Type.Number({ minimum: -60, maximum: 100 })),
    fw: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);
export const TagHealth = envelopeOf('tag.health', TagHealthBody);
export type TagHealth = Static<typeof TagHealth>;
