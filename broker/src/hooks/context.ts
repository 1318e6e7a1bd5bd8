import type { Client } from 'aedes';
import type { Principal } from '../acl.js';
import { principalName } from '../acl.js';
import type { DeviceRegistry } from '../device-registry.js';
import type { Logger } from '../logger.js';
import type { RefusalCounters } from '../metrics.js';
import type { ServiceAccount } from '../service-accounts.js';

/** State the hooks share; built once per broker by startBroker. */
export interface HookContext {
  readonly registry: DeviceRegistry;
  readonly services: ReadonlyMap<string, ServiceAccount>;
  readonly allowAnonymous: boolean;
  /** Who each authenticated connection is. */
  readonly principals: WeakMap<Client, Principal>;
  /** The stored secret hash each password-authenticated device session was admitted with (to spot rotation). */
  readonly secretHashes: WeakMap<Client, string>;
  /** The will topic from each CONNECT, captured in preConnect so authenticate can check it. */
  readonly willTopics: WeakMap<Client, string>;
  /** Connected client ids and who holds them, so one principal cannot take over another's session. */
  readonly clientIds: Map<string, { client: Client; name: string }>;
  readonly counters: RefusalCounters;
  /** Told of every refusal after it is counted (the Prometheus metrics split will refusals from auth). */
  readonly onRefusal?: ((kind: RefusalKind, rule: string) => void) | undefined;
  readonly log: Logger;
}

/** Which counter a refusal goes to. */
export type RefusalKind = 'auth' | 'publish' | 'subscribe' | 'forward';

const COUNTER: Record<RefusalKind, keyof RefusalCounters> = {
  auth: 'refusedAuth',
  publish: 'refusedPublish',
  subscribe: 'refusedSubscribe',
  forward: 'refusedForward',
};

const MESSAGES: Record<RefusalKind, string> = {
  auth: 'connection refused / 连接被拒绝',
  publish: 'publish refused / 发布被拒绝',
  subscribe: 'subscription refused / 订阅被拒绝',
  forward: 'delivery withheld / 消息投递被拦截',
};

/** Count a refusal and log it with the device (or account), client id, topic and rule. */
export function recordRefusal(
  ctx: HookContext,
  kind: RefusalKind,
  details: { client: Client | null; principal?: Principal | undefined; device?: string | undefined; topic?: string | undefined; rule: string },
): void {
  ctx.counters[COUNTER[kind]] += 1;
  ctx.onRefusal?.(kind, details.rule);
  const device = details.device ?? (details.principal ? principalName(details.principal) : undefined);
  ctx.log.warn({ refusal: kind, device, clientId: details.client?.id, topic: details.topic, rule: details.rule }, MESSAGES[kind]);
}
