import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';

/** A tamper event: strap cut or case opened, and each one's own restore. */
export const TagTamperBody = Type.Object(
  {
    what: Type.Union([Type.Literal('strap'), Type.Literal('case')]),
    /** `true` when the tamper condition starts, `false` when it is restored. */
    active: Type.Boolean(),
  },
  { additionalProperties: false },
);
export const TagTamper = envelopeOf('tag.tamper', TagTamperBody);
export type TagTamper = Static<typeof TagTamper>;
