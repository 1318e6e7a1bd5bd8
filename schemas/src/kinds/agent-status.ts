import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';

/** Birth / last-will status of a device or edge agent (retained). */
export const AgentStatusBody = Type.Object(
  {
    online: Type.Boolean(),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    /** Messages waiting in the store-and-forward queue. */
    queue_depth: Type.Optional(Type.Integer({ minimum: 0 })),
    uptime_s: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export const AgentStatus = envelopeOf('agent.status', AgentStatusBody);
export type AgentStatus = Static<typeof AgentStatus>;
