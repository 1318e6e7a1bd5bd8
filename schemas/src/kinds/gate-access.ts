import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';
import { Id } from '../ids.js';

/** A card read at a door and the controller's decision. */
export const GateAccessBody = Type.Object(
  {
    door: Id,
    /** The card number as read; the person it belongs to is resolved server-side. */
    card: Type.String({ minLength: 1, maxLength: 64 }),
    direction: Type.Optional(Type.Union([Type.Literal('in'), Type.Literal('out')])),
    granted: Type.Boolean(),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export const GateAccess = envelopeOf('gate.access', GateAccessBody);
export type GateAccess = Static<typeof GateAccess>;
