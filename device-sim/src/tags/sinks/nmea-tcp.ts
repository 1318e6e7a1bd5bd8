import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { SimEvent } from '../events.js';
import { encodeEvent, identify } from '../nmea-encode.js';

/** Options of the NMEA output to an edge agent's TCP port. */
export interface NmeaSinkOptions {
  host: string;
  port: number;
  firmware?: string;
  /** Wait this long before reconnecting a dropped connection. Default 1 000 ms. */
  reconnectMs?: number;
  logger: Logger;
}

/** The NMEA output of a fleet. */
export interface NmeaSink {
  connect(devices: ReadonlyArray<{ id: string }>): Promise<void>;
  send(ev: SimEvent): Promise<void>;
  /** Write raw text on a tag's stream (tests: a corrupted sentence). */
  writeRaw(deviceId: string, text: string): Promise<void>;
  stats(): { sentences: number; dropped: number };
  close(): Promise<void>;
}

/**
 * One TCP connection per tag to the edge agent, opened with `$PVGLI,<tag>,<fw>`
 * (re-sent on every reconnect), then GGA/GSA/RMC per fix and `$PVGLH` / `$PVGLT`
 * frames. What is sent while a connection is down is counted as dropped.
 */
export function createNmeaSink(opts: NmeaSinkOptions): NmeaSink {
  const sockets = new Map<string, Socket>();
  let closing = false;
  const stats = { sentences: 0, dropped: 0 };
  const open = (id: string) =>
    new Promise<void>((resolve, reject) => {
      const s = connect({ host: opts.host, port: opts.port });
      s.setNoDelay(true);
      s.once('connect', () => {
        s.write(identify(id, opts.firmware ?? 'vt-2.3.1'));
        sockets.set(id, s);
        resolve();
      });
      s.once('error', reject);
      s.on('close', () => {
        if (sockets.get(id) === s) sockets.delete(id);
        if (closing) return;
        opts.logger.warn({ tag: id }, 'nmea connection closed, reconnecting');
        setTimeout(() => void open(id).catch(() => undefined), opts.reconnectMs ?? 1000).unref();
      });
    });
  const write = (id: string, text: string) =>
    new Promise<void>((resolve) => {
      const s = sockets.get(id);
      if (!s) {
        stats.dropped++;
        return resolve();
      }
      s.write(text, () => resolve());
    });
  return {
    async connect(devices) {
      for (const d of devices) await open(d.id);
    },
    send(ev) {
      const text = encodeEvent(ev);
      stats.sentences += text.split('\r\n').length - 1;
      return write(ev.dev, text);
    },
    writeRaw: write,
    stats: () => ({ ...stats }),
    async close() {
      closing = true;
      await Promise.all(
        [...sockets.values()].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.once('close', () => resolve());
              s.end();
            }),
        ),
      );
      sockets.clear();
    },
  };
}
