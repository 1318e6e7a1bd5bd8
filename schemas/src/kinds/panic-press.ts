import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';
import { Lat, Lon } from '../ids.js';

/** A panic button pressed (on a tag, a wall button or an officer's phone), with where, if known. */
export const PanicPressBody = Type.Object(
  {
    /** Which button on a device with several. */
    button: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    lat: Type.Optional(Lat),
    lon: Type.Optional(Lon),
    acc_m: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export const PanicPress = envelopeOf('panic.press', PanicPressBody);
export type PanicPress = Static<typeof PanicPress>;
