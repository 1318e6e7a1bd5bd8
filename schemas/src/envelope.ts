import { Type, type TSchema, type TLiteral } from '@sinclair/typebox';
import { EpochMs, Id, Uuid } from './ids.js';

/** The only envelope version this code speaks. */
export const ENVELOPE_VERSION = 1;

/**
 * The envelope every JSON message travels in (ARCHITECTURE.md "Envelope"):
 * `id` is a UUIDv7 used to remove duplicates, `seq` a per-device counter
 * that never repeats across restarts, `ts` the device clock in ms.
 */
export function envelopeOf<K extends string, B extends TSchema>(type: K, body: B) {
  return Type.Object(
    {
      v: Type.Literal(ENVELOPE_VERSION),
      id: Uuid,
      dev: Id,
      ts: EpochMs,
      seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      type: Type.Literal(type) as TLiteral<K>,
      body,
    },
    { additionalProperties: false, $id: `vigil.${type}` },
  );
}

/** The envelope with an unknown body, used to read `type` before dispatch. */
export const EnvelopeHead = Type.Object({
  v: Type.Literal(ENVELOPE_VERSION),
  id: Uuid,
  dev: Id,
  ts: EpochMs,
  seq: Type.Integer({ minimum: 0 }),
  type: Type.String({ minLength: 1, maxLength: 64 }),
  body: Type.Object({}),
});
