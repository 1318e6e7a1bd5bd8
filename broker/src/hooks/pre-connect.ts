import type { AedesOptions } from 'aedes';
import { noteEmptyClientId } from './client-id.js';
import type { HookContext } from './context.js';

type PreConnect = NonNullable<AedesOptions['preConnect']>;

/**
 * Remember the CONNECT's will topic, so authenticate can check it against the
 * publish rules once it knows who the client is. Uses only the documented
 * packet, not Aedes internals.
 */
export function createPreConnect(ctx: HookContext): PreConnect {
  return (client, packet, done) => {
    if (packet.will) ctx.willTopics.set(client, packet.will.topic);
    noteEmptyClientId(client, packet);
    done(null, true);
  };
}
