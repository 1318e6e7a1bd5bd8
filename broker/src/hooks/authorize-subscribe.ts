import type { AedesOptions } from 'aedes';
import { canSubscribe } from '../acl.js';
import type { HookContext } from './context.js';
import { recordRefusal } from './context.js';

type AuthorizeSubscribe = NonNullable<AedesOptions['authorizeSubscribe']>;

/**
 * Check each subscription (new or restored from a persistent session). A refused
 * one is negated rather than failing the connection, so the SUBACK grants it
 * 0x80 and the client keeps its other subscriptions [MQTT-3.9.3].
 */
export function createAuthorizeSubscribe(ctx: HookContext): AuthorizeSubscribe {
  return (client, sub, done) => {
    const principal = ctx.principals.get(client);
    const decision = principal === undefined ? { ok: false as const, rule: 'not-authenticated' } : canSubscribe(principal, sub.topic);
    if (decision.ok) return done(null, sub);
    recordRefusal(ctx, 'subscribe', { client, principal, topic: sub.topic, rule: decision.rule });
    done(null, null);
  };
}
