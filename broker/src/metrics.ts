/** Counters the broker exposes; each refusal is counted once, where it was decided. */
export interface BrokerMetrics {
  /** Clients connected right now. */
  connected: number;
  /** CONNECTs refused (bad credentials, revoked device, bad client id, will not allowed). */
  refusedAuth: number;
  /** PUBLISHes (and wills) refused by the topic rules. */
  refusedPublish: number;
  /** Subscriptions refused (granted 128). */
  refusedSubscribe: number;
  /** Deliveries withheld from a client outside its rights (retained, queued or restored). */
  refusedForward: number;
  /** Connections closed or refused for going over a limit (packet size, topic size, message or connection rate, queue, slow consumer). */
  limitDisconnects: number;
}

/** The refusal counters, mutable inside the broker. */
export type RefusalCounters = Omit<BrokerMetrics, 'connected'>;

/** Fresh zeroed refusal counters. */
export function createCounters(): RefusalCounters {
  return { refusedAuth: 0, refusedPublish: 0, refusedSubscribe: 0, refusedForward: 0, limitDisconnects: 0 };
}
