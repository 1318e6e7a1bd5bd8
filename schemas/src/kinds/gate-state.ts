import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';
import { Id } from '../ids.js';

/** The state of one door or gate, as read from its PLC. */
export const GateStateBody = Type.Object(
  {
    door: Id,
    open: Type.Boolean(),
    locked: Type.Boolean(),
    forced: Type.Optional(Type.Boolean()),
    held_open: Type.Optional(Type.Boolean()),
    tamper: Type.Optional(Type.Boolean()),
    lockdown: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const GateState = envelopeOf('gate.state', GateStateBody);
export type GateState = Static<typeof GateState>;
