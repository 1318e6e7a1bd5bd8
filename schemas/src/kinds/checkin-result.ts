import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';
import { Id, Lat, Lon } from '../ids.js';

/** A score beside the threshold it was judged against, so an officer can see why. */
const Scored = Type.Object(
  { score: Type.Number({ minimum: 0, maximum: 1 }), threshold: Type.Number({ minimum: 0, maximum: 1 }) },
  { additionalProperties: false },
);

/**
 * A remote check-in judged by the server: 1:1 face verification against the
 * subject's template, anti-spoofing and liveness, and the GPS fix. `fail` and
 * `review` go to an officer's review queue.
 */
export const CheckinResultBody = Type.Object(
  {
    subject: Id,
    result: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('review')]),
    face: Type.Union([Type.Literal('matched'), Type.Literal('not_matched'), Type.Literal('uncertain'), Type.Literal('no_face'), Type.Literal('several_faces')]),
    match: Type.Optional(Scored),
    antispoof: Type.Optional(Scored),
    liveness: Type.Optional(Scored),
    /** Why, in a few words (English; the UI translates the code in `face`). */
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    lat: Type.Optional(Lat),
    lon: Type.Optional(Lon),
    acc_m: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export const CheckinResult = envelopeOf('checkin.result', CheckinResultBody);
export type CheckinResult = Static<typeof CheckinResult>;
