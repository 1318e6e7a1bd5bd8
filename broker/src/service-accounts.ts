import { ALL_ALERTS_FILTER, channelFilter, TOPIC_ROOT } from '@vigil/schemas';

/** A service (not a device) that logs in with a fixed username and a shared secret. */
export interface ServiceAccount {
  /** MQTT username, always `svc-...`; device ids may not take this prefix. */
  readonly username: string;
  /** The shared secret, compared in constant time. */
  readonly secret: string;
  /** Filters the account may subscribe to, or to narrower filters within them. */
  readonly subscribe: readonly string[];
  /** Filters a topic must match for the account to publish on it. */
  readonly publish: readonly string[];
}

/** Usernames with this prefix are service accounts and are never looked up in the device registry. */
export const SERVICE_PREFIX = 'svc-';

/** Secrets of the built-in accounts; an absent secret leaves that account disabled. */
export interface ServiceSecrets {
  ingest?: string | undefined;
  analytics?: string | undefined;
  commandCenter?: string | undefined;
}

const TELEMETRY = channelFilter('telemetry');
const EVENT = channelFilter('event');
const STATUS = channelFilter('status');
const LINE_PROTOCOL = channelFilter('lp');
const COMMAND = `${TOPIC_ROOT}/+/+/cmd/+`;
const COMMAND_RESULT = `${TOPIC_ROOT}/+/+/cmd/+/res`;

/**
 * The built-in service accounts and their topic rights:
 * - `svc-ingest` reads every device channel (telemetry, event, status, line protocol) and publishes nothing;
 * - `svc-analytics` reads telemetry and events and publishes alerts only;
 * - `svc-command-center` reads alerts, status and command results and publishes commands.
 */
export function serviceAccounts(secrets: ServiceSecrets): ServiceAccount[] {
  const accounts: ServiceAccount[] = [];
  if (secrets.ingest) {
    accounts.push({ username: 'svc-ingest', secret: secrets.ingest, subscribe: [TELEMETRY, EVENT, STATUS, LINE_PROTOCOL], publish: [] });
  }
  if (secrets.analytics) {
    accounts.push({ username: 'svc-analytics', secret: secrets.analytics, subscribe: [TELEMETRY, EVENT], publish: [ALL_ALERTS_FILTER] });
  }
  if (secrets.commandCenter) {
    accounts.push({
      username: 'svc-command-center',
      secret: secrets.commandCenter,
      subscribe: [ALL_ALERTS_FILTER, STATUS, COMMAND_RESULT],
      publish: [COMMAND],
    });
  }
  return accounts;
}
