import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';
import { Id } from '../ids.js';

/** An alarm raised by a door controller itself. */
export const GateAlarmBody = Type.Object(
  {
    door: Id,
    alarm: Type.Union([
      Type.Literal('forced'),
      Type.Literal('held_open'),
      Type.Literal('tamper'),
      Type.Literal('anti_passback'),
      Type.Literal('denied_repeatedly'),
    ]),
    active: Type.Boolean(),
  },
  { additionalProperties: false },
);
export const GateAlarm = envelopeOf('gate.alarm', GateAlarmBody);
export type GateAlarm = Static<typeof GateAlarm>;
