import type { Alert } from '@vigil/schemas';

/** Called with each valid alert as it arrives. */
export type AlertListener = (alert: Alert) => void;

/**
 * A live source of alerts for the SSE stream. The MQTT subscriber is one;
 * tests may drive the same interface from a real broker or by hand.
 */
export interface AlertFeed {
  /** Register a listener; the returned function removes it. */
  subscribe(listener: AlertListener): () => void;
  /** True while the feed is connected to its source (reported by /api/health). */
  isConnected(): boolean;
  /** Alerts forwarded and alerts rejected by validation, since start. */
  stats(): { forwarded: number; invalid: number };
  /** Stop the feed and drop every listener. */
  close(): Promise<void>;
}

/** A fan-out of alerts to listeners; the building block of every feed. */
export interface AlertHub extends AlertFeed {
  /** Hand an already-validated alert to every listener. */
  emit(alert: Alert): void;
  /** Count an alert that failed validation. */
  countInvalid(): void;
  /** Set the connection state reported by `isConnected()`. */
  setConnected(connected: boolean): void;
}

/** Create an in-process alert hub (connected from the start unless told otherwise). */
export function createAlertHub(opts: { connected?: boolean; onClose?: () => Promise<void> } = {}): AlertHub {
  const listeners = new Set<AlertListener>();
  let connected = opts.connected ?? true;
  let forwarded = 0;
  let invalid = 0;
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    emit(alert) {
      forwarded += 1;
      // Copy first: a listener may unsubscribe while we iterate.
      for (const l of [...listeners]) l(alert);
    },
    countInvalid() {
      invalid += 1;
    },
    setConnected(c) {
      connected = c;
    },
    isConnected: () => connected,
    stats: () => ({ forwarded, invalid }),
    async close() {
      listeners.clear();
      connected = false;
      await opts.onClose?.();
    },
  };
}
