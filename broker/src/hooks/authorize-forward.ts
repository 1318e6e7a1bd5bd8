import type { AedesOptions } from 'aedes';
import { canReceive } from '../acl.js';
import type { HookContext } from './context.js';
import { recordRefusal } from './context.js';

type AuthorizeForward = NonNullable<AedesOptions['authorizeForward']>;

/**
 * Last check before a message reaches a client, covering what authorizeSubscribe
 * cannot see: retained messages on subscribe and messages queued for a
 * persistent session. A device must never receive anything but its own commands.
 */
export function createAuthorizeForward(ctx: HookContext): AuthorizeForward {
  return (client, packet) => {
    const principal = ctx.principals.get(client);
    const decision = principal === undefined ? { ok: false as const, rule: 'not-authenticated' } : canReceive(principal, packet.topic);
    if (decision.ok) return packet;
    recordRefusal(ctx, 'forward', { client, principal, topic: packet.topic, rule: decision.rule });
    return null;
  };
}
