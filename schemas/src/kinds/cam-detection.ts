import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';
import { Id } from '../ids.js';

/** A box as fractions of the frame (0..1), origin top left. */
export const FrameBox = Type.Object(
  {
    x: Type.Number({ minimum: 0, maximum: 1 }),
    y: Type.Number({ minimum: 0, maximum: 1 }),
    w: Type.Number({ minimum: 0, maximum: 1 }),
    h: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);

/** One object the model found, with the tracker's id when it follows it. */
export const DetectedObject = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 32 }),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    box: FrameBox,
    track: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/**
 * What a camera's video analytics concluded on a frame: a person in a
 * restricted zone, a crowd gathered, a person down, loitering. `active: false`
 * says the condition ended (the zone emptied, the person got up).
 */
export const CamDetectionBody = Type.Object(
  {
    detection: Type.Union([Type.Literal('zone_intrusion'), Type.Literal('crowd'), Type.Literal('person_down'), Type.Literal('loitering')]),
    active: Type.Boolean(),
    /** The camera-local zone (image polygon) the detection is about; absent for the whole frame. */
    zone: Type.Optional(Id),
    people: Type.Integer({ minimum: 0, maximum: 1000 }),
    /** How long the condition has held (ms), for crowd, person down and loitering. */
    duration_ms: Type.Optional(Type.Integer({ minimum: 0 })),
    objects: Type.Array(DetectedObject, { maxItems: 50 }),
    /** Where the JPEG evidence frame (boxes drawn) is kept. */
    snapshot_ref: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
export const CamDetection = envelopeOf('cam.detection', CamDetectionBody);
export type CamDetection = Static<typeof CamDetection>;
