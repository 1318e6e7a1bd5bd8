import { devicePrefix, parseTopic } from '@vigil/schemas';
import type { ServiceAccount } from './service-accounts.js';
import { filterWithin, topicMatches } from './topic-filter.js';

/**
 * The devices a device principal speaks for: itself, and for an edge agent
 * (a gateway) every device registered behind it (`children`, refreshed in
 * place when the registry changes).
 */
function speaksFor(p: { id: string; children?: Set<string> }, device: string): boolean {
  return device === p.id || p.children?.has(device) === true;
}

/** Who is on the other end of a connection, as decided at CONNECT. */
export type Principal =
  | { kind: 'device'; id: string; site: string; children?: Set<string> }
  | { kind: 'service'; account: ServiceAccount }
  | { kind: 'anonymous' };

/** The outcome of a topic rule: allowed, or refused naming the rule. */
export type Decision = { ok: true } | { ok: false; rule: string };

const OK: Decision = { ok: true };
const refuse = (rule: string): Decision => ({ ok: false, rule });

/** The one filter a device may subscribe to (or narrow): its own commands. */
export function deviceCommandFilter(site: string, id: string): string {
  return `${devicePrefix(site, id)}cmd/#`;
}

/** The name a principal is logged under. */
export function principalName(p: Principal): string {
  if (p.kind === 'device') return p.id;
  if (p.kind === 'service') return p.account.username;
  return '(anonymous)';
}

/**
 * Topics already found allowed, per principal or service account: the checks
 * run on every PUBLISH and every delivery, for the same few topics each time.
 * Only answers that depend on nothing but the topic and immutable fields are
 * kept (a service account's filters; a device's own id and site, not a
 * gateway's `children`, which change with the registry). A full set starts over.
 */
const allowedPublish = new WeakMap<object, Set<string>>();
const allowedReceive = new WeakMap<object, Set<string>>();
const ALLOWED_TOPICS_KEPT = 1_024;

function isRemembered(cache: WeakMap<object, Set<string>>, owner: object, topic: string): boolean {
  return cache.get(owner)?.has(topic) === true;
}

function remember(cache: WeakMap<object, Set<string>>, owner: object, topic: string): void {
  let topics = cache.get(owner);
  if (topics === undefined) cache.set(owner, (topics = new Set()));
  else if (topics.size >= ALLOWED_TOPICS_KEPT) topics.clear();
  topics.add(topic);
}

function matchesAny(filters: readonly string[], topic: string): boolean {
  for (let i = 0; i < filters.length; i++) if (topicMatches(filters[i]!, topic)) return true;
  return false;
}

/**
 * May `p` publish on `topic`? Devices only under their own `vigil/v1/<site>/<id>/`
 * on a data channel or a command result; services per their account; nobody on `$SYS`.
 */
export function canPublish(p: Principal, topic: string): Decision {
  // $SYS is the broker's own namespace; a client writing there could spoof broker state (aedes #597)
  if (topic.startsWith('$')) return refuse('sys-reserved');
  if (p.kind === 'anonymous') return OK;
  const owner = p.kind === 'service' ? p.account : p;
  if (isRemembered(allowedPublish, owner, topic)) return OK;
  const parsed = parseTopic(topic);
  if (parsed === null) return refuse('not-a-vigil-topic');
  if (p.kind === 'service') {
    if (!matchesAny(p.account.publish, topic)) return refuse('service-publish-not-in-account');
    remember(allowedPublish, owner, topic);
    return OK;
  }
  if (parsed.kind === 'alerts' || parsed.site !== p.site || !speaksFor(p, parsed.device)) return refuse('device-not-own-topic');
  if (parsed.kind === 'command') return refuse('device-publish-command');
  // a child's topic is not kept: the gateway may lose the child when the registry changes
  if (parsed.device === p.id) remember(allowedPublish, owner, topic);
  return OK;
}

/**
 * May `p` subscribe to `filter`? Devices only to their own `cmd/#` or narrower;
 * services only within their account's filters; nobody to `$` topics.
 */
export function canSubscribe(p: Principal, filter: string): Decision {
  if (filter.startsWith('$')) return refuse('sys-reserved');
  if (p.kind === 'anonymous') return OK;
  if (p.kind === 'service') {
    return p.account.subscribe.some((f) => filterWithin(f, filter)) ? OK : refuse('service-subscribe-not-in-account');
  }
  if (filterWithin(deviceCommandFilter(p.site, p.id), filter)) return OK;
  // a gateway takes each of its devices' commands, one filter per device (a wildcard device level is never within)
  const child = childOf(p, filter);
  return child !== undefined && filterWithin(deviceCommandFilter(p.site, child), filter) ? OK : refuse('device-not-own-commands');
}

/** The device level of a topic or filter, if it names one of the gateway's devices. */
function childOf(p: { children?: Set<string> }, topicOrFilter: string): string | undefined {
  if (p.children === undefined) return undefined;
  const device = topicOrFilter.split('/', 4)[3];
  return device !== undefined && p.children.has(device) ? device : undefined;
}

/**
 * May a message on `topic` be delivered to `p`? Checked on every delivery,
 * retained and queued ones included, so a device never sees anything but its
 * own commands even if a subscription slipped through (e.g. a restored session).
 */
export function canReceive(p: Principal, topic: string): Decision {
  if (topic.startsWith('$')) return refuse('sys-reserved');
  if (p.kind === 'anonymous') return OK;
  if (p.kind === 'service') {
    if (isRemembered(allowedReceive, p.account, topic)) return OK;
    if (!matchesAny(p.account.subscribe, topic)) return refuse('service-receive-not-in-account');
    remember(allowedReceive, p.account, topic);
    return OK;
  }
  if (topicMatches(deviceCommandFilter(p.site, p.id), topic)) return OK;
  const child = childOf(p, topic);
  return child !== undefined && topicMatches(deviceCommandFilter(p.site, child), topic) ? OK : refuse('device-not-own-commands');
}
