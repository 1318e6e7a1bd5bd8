import type { Pool } from 'pg';
import { buildApp } from './app.js';
import type { CameraRelayOptions } from './cameras/relay.js';
import { createMqttCommandBus } from './command-bus.js';
import type { SecurityOptions } from './context.js';
import { createLogger, type Logger } from './logger.js';
import type { ServiceEndpoint } from './service-probe.js';
import { createMqttAlertFeed, type MqttAlertFeed } from './mqtt-alert-feed.js';
import { channelsFor, createNotifier, type Notifier, type NotifyConfig } from './notifications/index.js';
import { loadCheckinPlans } from './checkin/plan.js';
import { scheduleCheckins, type CheckinScheduler } from './checkin/scheduler.js';
import { checkinSmsSender } from './checkin/sms-sender.js';

/** Options of `startCommandCenter`. */
export interface CommandCenterOptions {
  /** TCP port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to bind, e.g. `127.0.0.1`. */
  host: string;
  /** Made by `createPool`; the caller owns it and ends it after `close()`. */
  pool: Pool;
  /** Broker URL of the alert subscription and the device commands. */
  mqttUrl: string;
  mqttUsername?: string;
  mqttPassword?: string;
  /** The built UI (`command-center/public`). */
  publicDir: string;
  logger?: Logger;
  /** SSE heartbeat interval; default 15 000 ms. */
  heartbeatMs?: number;
  security?: Partial<SecurityOptions>;
  /** ffmpeg for the live camera relay; without it live video answers 503. */
  ffmpegPath?: string;
  /** Notifications (docs/notifications.md); without them no alert is sent anywhere but the live stream. */
  notify?: NotifyConfig;
  /** Detection snapshots of the vision process (VIGIL_SNAPSHOT_DIR). */
  snapshotDir?: string;
  /** Services shown on the health page (VIGIL_SERVICE_ENDPOINTS). */
  serviceEndpoints?: readonly ServiceEndpoint[];
  /** Override the notifier's timings (tests). */
  notifyTimings?: { pollMs?: number; sweepMs?: number; retry?: { baseMs?: number; maxMs?: number; maxAttempts?: number } };
}

/** A running command centre. */
export interface CommandCenter {
  /** The port it listens on (the real one when 0 was asked for). */
  port: number;
  alertFeed: MqttAlertFeed;
  /** The notification runner, when `notify` was given. */
  notifier?: Notifier;
  /** The remote check-in scheduler, when `notify` has an SMS channel to send its links by. */
  checkinScheduler?: CheckinScheduler;
  /** Stop listening, end open streams, disconnect from the broker. */
  close(): Promise<void>;
}

/** Subscribe to alerts, connect the command bus, build the app and listen. */
export async function startCommandCenter(opts: CommandCenterOptions): Promise<CommandCenter> {
  const logger = opts.logger ?? createLogger('command-center');
  const mqtt = {
    url: opts.mqttUrl,
    ...(opts.mqttUsername !== undefined ? { username: opts.mqttUsername } : {}),
    ...(opts.mqttPassword !== undefined ? { password: opts.mqttPassword } : {}),
  };
  const alertFeed = createMqttAlertFeed({ ...mqtt, logger: logger.child({ module: 'alert-feed' }) });
  const commandBus = createMqttCommandBus({ ...mqtt, pool: opts.pool, logger: logger.child({ module: 'commands' }) });
  const notify = opts.notify !== undefined ? startNotifications(opts.notify, opts, alertFeed, logger) : undefined;
  const checkinScheduler = notify ? startCheckinScheduler(notify, opts.pool, logger) : undefined;
  const cameras: CameraRelayOptions | undefined = opts.ffmpegPath ? { ffmpegPath: opts.ffmpegPath, logger: logger.child({ module: 'cameras' }) } : undefined;
  const app = await buildApp({
    pool: opts.pool,
    alertFeed,
    commandBus,
    publicDir: opts.publicDir,
    logger,
    ...(cameras ? { cameras } : {}),
    ...(opts.security ? { security: opts.security } : {}),
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    ...(opts.serviceEndpoints ? { serviceEndpoints: opts.serviceEndpoints } : {}),
    ...(opts.snapshotDir !== undefined ? { snapshotDir: opts.snapshotDir } : {}),
    ...(notify ? { notifications: { linkSecret: notify.config.linkSecret, inApp: notify.inApp }, checkin: { tokenSecret: notify.config.linkSecret, ...(checkinScheduler ? { scheduler: checkinScheduler } : {}) } } : {}),
  });
  const closeFeeds = async () => {
    // pending notifications stay in the outbox for the next start; unsent check-in links in checkin_requests
    checkinScheduler?.stop();
    await notify?.notifier.stop();
    await alertFeed.close();
    await commandBus.close();
  };
  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    await closeFeeds();
    await app.close();
    throw err;
  }
  notify?.notifier.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  let closing: Promise<void> | undefined;
  return {
    port,
    alertFeed,
    ...(notify ? { notifier: notify.notifier } : {}),
    ...(checkinScheduler ? { checkinScheduler } : {}),
    close() {
      closing ??= app.close().finally(closeFeeds);
      return closing;
    },
  };
}

/** The channels the settings name and the runner that routes every live alert to them. */
function startNotifications(config: NotifyConfig, opts: CommandCenterOptions, alertFeed: MqttAlertFeed, logger: Logger) {
  const { channels, inApp } = channelsFor(config);
  const notifier = createNotifier({
    pool: opts.pool,
    channels,
    source: alertFeed,
    links: { baseUrl: config.linkBaseUrl, secret: config.linkSecret, ttlMs: config.linkTtlMs },
    storm: { maxPerMinute: config.maxPerMinute, groupWindowMs: config.groupWindowMs },
    // an alert acknowledged by an SMS reply reaches the open pages like one acknowledged in the UI
    onAlertChange: (a) => alertFeed.emit(a),
    logger: logger.child({ module: 'notify' }),
    ...opts.notifyTimings,
  });
  return { config, notifier, inApp, channels };
}

/**
 * Remote check-in requests at the times of each subject's plan (and officers' on-demand
 * ones), their links sent by SMS to the subject's number on record. Without an SMS channel
 * nothing could reach the subject, so none are issued (and none can be missed).
 */
function startCheckinScheduler(notify: ReturnType<typeof startNotifications>, pool: Pool, logger: Logger): CheckinScheduler | undefined {
  const sms = notify.channels.find((c) => c.name === 'sms');
  if (!sms) {
    logger.info('remote check-in requests off: no SMS channel (VIGIL_SMPP_URL) / 未配置短信通道（VIGIL_SMPP_URL），不发送签到请求');
    return undefined;
  }
  return scheduleCheckins({
    pool,
    tokenSecret: notify.config.linkSecret,
    baseUrl: notify.config.linkBaseUrl,
    plans: () => loadCheckinPlans(pool),
    send: checkinSmsSender(pool, sms),
    logger: logger.child({ module: 'checkin' }),
  });
}
