import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';
import { Lat, Lon } from '../ids.js';

/** A GPS position fix from an electronic tag. */
export const TagFixBody = Type.Object(
  {
    lat: Lat,
    lon: Lon,
    /** Horizontal accuracy (radius of the error circle) in metres. */
    acc_m: Type.Number({ minimum: 0, maximum: 100_000 }),
    alt_m: Type.Optional(Type.Number({ minimum: -1_000, maximum: 20_000 })),
    speed_mps: Type.Optional(Type.Number({ minimum: 0, maximum: 200 })),
    heading_deg: Type.Optional(Type.Number({ minimum: 0, maximum: 360 })),
    sats: Type.Optional(Type.Integer({ minimum: 0, maximum: 64 })),
    /** How the fix was obtained. */
    src: Type.Optional(Type.Union([Type.Literal('gps'), Type.Literal('lbs'), Type.Literal('wifi')])),
  },
  { additionalProperties: false },
);
export const TagFix = envelopeOf('tag.fix', TagFixBody);
export type TagFix = Static<typeof TagFix>;
