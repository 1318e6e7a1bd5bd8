import type { AedesOptions } from 'aedes';
import { parseTopic } from '@vigil/schemas';
import { canPublish } from '../acl.js';
import { AclError } from '../errors.js';
import type { HookContext } from './context.js';
import { recordRefusal } from './context.js';

type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;

/**
 * Check every PUBLISH and every will against the topic rules. A refusal closes
 * the connection: MQTT 3.1.1 cannot tell the client, so the server must ack or
 * disconnect, and acking would hide the fault [MQTT-3.3.5-2].
 */
export function createAuthorizePublish(ctx: HookContext): AuthorizePublish {
  return (client, packet, done) => {
    const topic = packet.topic;
    if (client === null) {
      // a will left by a session from before a restart; it was checked when stored, but only a status will is expected
      const parsed = parseTopic(topic);
      if (parsed?.kind === 'device' && parsed.channel === 'status') return done(null);
      recordRefusal(ctx, 'publish', { client, topic, rule: 'orphan-will-not-status' });
      return done(new AclError('orphan-will-not-status', topic));
    }
    const principal = ctx.principals.get(client);
    if (principal === undefined) {
      recordRefusal(ctx, 'publish', { client, topic, rule: 'not-authenticated' });
      return done(new AclError('not-authenticated', topic));
    }
    const decision = canPublish(principal, topic);
    if (decision.ok) return done(null);
    recordRefusal(ctx, 'publish', { client, principal, topic, rule: decision.rule });
    done(new AclError(decision.rule, topic));
  };
}
