import type { Alert } from '@vigil/schemas';

/** Called with each valid alert as it arrives. */
export type AlertListener = (alert: Alert) => void;

/** A device went online or offline (its retained `agent.status`). */
export interface DeviceStatusEvent {
  id: string;
  site: string;
  online: boolean;
  /** The status message's ts (ms). */
  ts: number;
}
export type DeviceStatusListener = (status: DeviceStatusEvent) => void;

/**
 * A live source of alerts for the SSE stream. The MQTT subscriber is one;
 * tests may drive the same interface from a real broker or by hand.
 */
export interface AlertFeed {
  /** Register a listener; the returned function removes it. */
  subscribe(listener: AlertListener): () => void;
  /** Register a listener for device status changes (feeds without a status source never call it). */
  subscribeStatus?(listener: DeviceStatusListener): () => void;
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
  /** Hand a device status to every status listener. */
  emitStatus(status: DeviceStatusEvent): void;
  subscribeStatus(listener: DeviceStatusListener): () => void;
  /** Count an alert that failed validation. */
  countInvalid(): void;
  /** Set the connection state reported by `isConnected()`. */
  setConnected(connected: boolean): void;
}

/** Create an in-process alert hub (connected from the start unless told otherwise). */
export function createAlertHub(opts: { connected?: boolean; onClose?: () => Promise<void> } = {}): AlertHub {
  const listeners = new Set<AlertListener>();
  const statusListeners = new Set<DeviceStatusListener>();
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
    subscribeStatus(listener) {
      statusListeners.add(listener);
      return () => {
        statusListeners.delete(listener);
      };
    },
    emitStatus(status) {
      for (const l of [...statusListeners]) l(status);
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
      statusListeners.clear();
      connected = false;
      await opts.onClose?.();
    },
  };
}
