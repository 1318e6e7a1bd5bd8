import { devicePrefix, parseTopic } from '@vigil/schemas';
import type { ServiceAccount } from './service-accounts.js';
import { filterWithin, topicMatches } from './topic-filter.js';

/** Who is on the other end of a connection, as decided at CONNECT. */
export type Principal =
  | { kind: 'device'; id: string; site: string }
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
 * May `p` publish on `topic`? Devices only under their own `vigil/v1/<site>/<id>/`
 * on a data channel or a command result; services per their account; nobody on `$SYS`.
 */
export function canPublish(p: Principal, topic: string): Decision {
  // $SYS is the broker's own namespace; a client writing there could spoof broker state (aedes #597)
  if (topic.startsWith('$')) return refuse('sys-reserved');
  if (p.kind === 'anonymous') return OK;
  const parsed = parseTopic(topic);
  if (parsed === null) return refuse('not-a-vigil-topic');
  if (p.kind === 'service') {
    return p.account.publish.some((f) => topicMatches(f, topic)) ? OK : refuse('service-publish-not-in-account');
  }
  if (parsed.kind === 'alerts' || parsed.site !== p.site || parsed.device !== p.id) return refuse('device-not-own-topic');
  if (parsed.kind === 'command') return refuse('device-publish-command');
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
  return filterWithin(deviceCommandFilter(p.site, p.id), filter) ? OK : refuse('device-not-own-commands');
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
    return p.account.subscribe.some((f) => topicMatches(f, topic)) ? OK : refuse('service-receive-not-in-account');
  }
  return topicMatches(deviceCommandFilter(p.site, p.id), topic) ? OK : refuse('device-not-own-commands');
}
