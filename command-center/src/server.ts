import type { Pool } from 'pg';
import { buildApp } from './app.js';
import { createLogger, type Logger } from './logger.js';
import { createMqttAlertFeed, type MqttAlertFeed } from './mqtt-alert-feed.js';

/** Options of `startCommandCenter`. */
export interface CommandCenterOptions {
  /** TCP port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to bind, e.g. `127.0.0.1`. */
  host: string;
  /** Made by `createPool`; the caller owns it and ends it after `close()`. */
  pool: Pool;
  /** Broker URL of the alert subscription. */
  mqttUrl: string;
  mqttUsername?: string;
  mqttPassword?: string;
  /** The built UI (`command-center/public`). */
  publicDir: string;
  logger?: Logger;
  /** SSE heartbeat interval; default 15 000 ms. */
  heartbeatMs?: number;
}

/** A running command centre. */
export interface CommandCenter {
  /** The port it listens on (the real one when 0 was asked for). */
  port: number;
  alertFeed: MqttAlertFeed;
  /** Stop listening, end open streams, disconnect from the broker. */
  close(): Promise<void>;
}

/** Subscribe to alerts, build the app and listen. */
export async function startCommandCenter(opts: CommandCenterOptions): Promise<CommandCenter> {
  const logger = opts.logger ?? createLogger('command-center');
  const alertFeed = createMqttAlertFeed({
    url: opts.mqttUrl,
    ...(opts.mqttUsername !== undefined ? { username: opts.mqttUsername } : {}),
    ...(opts.mqttPassword !== undefined ? { password: opts.mqttPassword } : {}),
    logger: logger.child({ module: 'alert-feed' }),
  });
  const app = await buildApp({
    pool: opts.pool,
    alertFeed,
    publicDir: opts.publicDir,
    logger,
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
  });
  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    await alertFeed.close();
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  let closing: Promise<void> | undefined;
  return {
    port,
    alertFeed,
    close() {
      closing ??= app.close().finally(() => alertFeed.close());
      return closing;
    },
  };
}
