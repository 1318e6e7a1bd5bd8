import type { Aedes, AedesOptions, Client } from 'aedes';
import { Counter, Gauge, Registry } from 'prom-client';
import type { RefusalKind } from './hooks/context.js';
import type { BrokerMetrics } from './metrics.js';
import { topicMatches } from './topic-filter.js';

type AuthorizeForward = NonNullable<AedesOptions['authorizeForward']>;

/** Which ACL decision refused something: a PUBLISH, a SUBSCRIBE, a delivery, or a will at CONNECT. */
export type AclRefusalKind = 'publish' | 'subscribe' | 'forward' | 'will';

/** The broker's Prometheus metrics, in a registry of its own so several brokers in one process do not clash. */
export interface BrokerPrometheus {
  /** The registry to scrape (`registry.metrics()` gives the text format). */
  readonly registry: Registry;
  /** Count a refusal decided by a hook (pass as HookContext.onRefusal). */
  onRefusal(kind: RefusalKind, rule: string): void;
  /** Wrap authorizeForward so every delivery it lets through counts as a message out. */
  countForward(inner: AuthorizeForward): AuthorizeForward;
  /** Follow the broker's events (publishes in, acks, connects) and read its counters at scrape time. */
  watch(aedes: Aedes, metrics: () => BrokerMetrics): void;
}

const QOS_LABELS = ['0', '1', '2'] as const;
const ACL_KINDS: readonly AclRefusalKind[] = ['publish', 'subscribe', 'forward', 'will'];
/** Topics whose granted QoS one connection remembers before starting over. */
const GRANTED_CACHE_TOPICS = 4_096;

/** Create the broker's metrics in a fresh Registry (never prom-client's global one). */
export function createBrokerPrometheus(): BrokerPrometheus {
  const registry = new Registry();
  const registers = [registry];
  // Per message only a plain number goes up (prom-client's inc hashes its labels on every call, bound children too);
  // each counter adds what has come since the last scrape when it is scraped.
  const counts = { messagesIn: [0, 0, 0], messagesOut: [0, 0, 0], bytesIn: [0, 0, 0], bytesOut: [0, 0, 0] };
  const byQos = (name: string, help: string, live: number[]) => {
    const reported = [0, 0, 0];
    return new Counter({
      name,
      help,
      labelNames: ['qos'],
      registers,
      collect() {
        for (let q = 0; q < QOS_LABELS.length; q++) {
          const now = live[q]!;
          // inc even by 0, so every QoS label is there from the first scrape
          this.inc({ qos: QOS_LABELS[q] }, now - reported[q]!);
          reported[q] = now;
        }
      },
    });
  };
  byQos('vigil_broker_messages_received_total', 'PUBLISH packets accepted from clients, by QoS', counts.messagesIn);
  byQos('vigil_broker_messages_sent_total', 'PUBLISH packets delivered to clients, by QoS', counts.messagesOut);
  byQos('vigil_broker_payload_bytes_received_total', 'Payload bytes of PUBLISH packets accepted from clients, by QoS', counts.bytesIn);
  byQos('vigil_broker_payload_bytes_sent_total', 'Payload bytes of PUBLISH packets delivered to clients, by QoS', counts.bytesOut);
  const authFailures = new Counter({ name: 'vigil_broker_auth_failures_total', help: 'CONNECTs refused for identity (bad credentials, revoked device, bad client id); will refusals count under acl_refusals', registers });
  const aclRefusals = new Counter({ name: 'vigil_broker_acl_refusals_total', help: 'Topic rule refusals, by kind (publish, subscribe, forward, will)', labelNames: ['kind'], registers });
  for (const kind of ACL_KINDS) aclRefusals.inc({ kind }, 0);

  // QoS 1/2 deliveries not yet acknowledged, per connection; a closed connection's count goes with it
  const inflight = new Map<Client, number>();
  // the filters each connection was granted, to know the QoS a delivery goes out at [MQTT-3.8.4-6]; with overlapping
  // filters aedes 1.2 may send at the first match's QoS rather than the highest [MQTT-3.3.5-1], so the label can then read high.
  // `byTopic` remembers the answer per topic (a subscriber sees the same few topics over and over), dropped when the filters change.
  const granted = new WeakMap<Client, { filters: Map<string, number>; byTopic: Map<string, number> }>();

  const grantedQos = (client: Client, topic: string, published: number): number => {
    const subs = granted.get(client);
    if (subs === undefined) return published;
    let best = subs.byTopic.get(topic);
    if (best === undefined) {
      best = -1;
      for (const [filter, qos] of subs.filters) if (qos > best && topicMatches(filter, topic)) best = qos;
      if (subs.byTopic.size >= GRANTED_CACHE_TOPICS) subs.byTopic.clear();
      subs.byTopic.set(topic, best);
    }
    return best < 0 ? published : Math.min(published, best);
  };

  return {
    registry,
    onRefusal(kind, rule) {
      // a refused will is a topic decision taken at CONNECT [MQTT-3.1.2-8]; everything else at CONNECT is identity
      if (kind === 'auth' && rule.startsWith('will-')) aclRefusals.inc({ kind: 'will' });
      else if (kind === 'auth') authFailures.inc();
      else if ((ACL_KINDS as readonly string[]).includes(kind)) aclRefusals.inc({ kind });
    },
    countForward(inner) {
      return (client, packet) => {
        const out = inner(client, packet);
        if (out === null || out === undefined) return out;
        const qos = grantedQos(client, out.topic, out.qos);
        if (qos < 3) {
          counts.messagesOut[qos]! += 1;
          counts.bytesOut[qos]! += payloadBytes(out.payload);
        }
        if (qos > 0) inflight.set(client, (inflight.get(client) ?? 0) + 1);
        return out;
      };
    },
    watch(aedes, metrics) {
      aedes.on('publish', (packet, client) => {
        // client null: the broker's own messages ($SYS, presence), not traffic in
        if (client === null || packet.qos > 2) return;
        counts.messagesIn[packet.qos]! += 1;
        counts.bytesIn[packet.qos]! += payloadBytes(packet.payload);
      });
      aedes.on('ack', (_packet, client) => {
        const n = inflight.get(client);
        if (n !== undefined) inflight.set(client, Math.max(0, n - 1));
      });
      aedes.on('subscribe', (subs, client) => {
        const entry = granted.get(client) ?? { filters: new Map<string, number>(), byTopic: new Map<string, number>() };
        for (const s of subs) entry.filters.set(s.topic, s.qos);
        entry.byTopic.clear();
        granted.set(client, entry);
      });
      aedes.on('unsubscribe', (filters, client) => {
        const entry = granted.get(client);
        if (entry === undefined) return;
        for (const f of filters) entry.filters.delete(f);
        entry.byTopic.clear();
      });
      aedes.on('clientDisconnect', (client) => inflight.delete(client));
      watchCounters(registry, aedes, metrics, inflight);
    },
  };
}

/** Gauges and counters read from the broker when scraped. */
function watchCounters(registry: Registry, aedes: Aedes, metrics: () => BrokerMetrics, inflight: Map<Client, number>): void {
  const registers = [registry];
  new Gauge({
    name: 'vigil_broker_connected_clients',
    help: 'Clients connected right now',
    registers,
    collect() {
      this.set(aedes.connectedClients);
    },
  });
  new Gauge({
    name: 'vigil_broker_inflight_messages',
    help: 'QoS 1/2 deliveries sent to connected clients and not yet acknowledged',
    registers,
    collect() {
      let total = 0;
      for (const n of inflight.values()) total += n;
      this.set(total);
    },
  });
  let lastLimit = 0;
  new Counter({
    name: 'vigil_broker_limit_disconnects_total',
    help: 'Clients disconnected for exceeding a limit (rate, size, queue)',
    registers,
    collect() {
      // counted where each limit is enforced; read here so there is one count, not two
      const value = metrics().limitDisconnects;
      if (value > lastLimit) {
        this.inc(value - lastLimit);
        lastLimit = value;
      }
    },
  });
}

function payloadBytes(payload: unknown): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  if (payload instanceof Uint8Array) return payload.byteLength;
  return 0;
}
