import { randomUUID } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import { ackOnReceipt } from '@vigil/ingest';
import type { Pool } from 'pg';
import { check, commandTopic, CommandResult, parseTopic, TOPIC_ROOT, type CommandRequest } from '@vigil/schemas';
import { createLogger, type Logger } from './logger.js';

/** The results filter: every device's answers. */
export const COMMAND_RESULT_FILTER = `${TOPIC_ROOT}/+/+/cmd/+/res`;

/** One command as stored (migration 022) and served. */
export interface StoredCommand {
  id: string;
  device: string;
  site: string;
  name: string;
  args: Record<string, unknown>;
  requested_by: string;
  requested_ts: number;
  expires_ts: number | null;
  status: 'sent' | 'ok' | 'error' | 'refused';
  detail: string | null;
  result: Record<string, unknown> | null;
  replayed: boolean | null;
  answered_ts: number | null;
}

/** Sends commands to devices over MQTT and stores their answers. */
export interface CommandBus {
  /** Store, then publish a `CommandRequest` at QoS 1 on `vigil/v1/<site>/<device>/cmd/<name>`. */
  send(c: { device: string; site: string; name: string; args?: Record<string, unknown>; by: string; ttlMs: number }): Promise<StoredCommand>;
  isConnected(): boolean;
  close(): Promise<void>;
}

type Row = {
  id: string; device_id: string; site_id: string; name: string; args: Record<string, unknown>; requested_by: string; requested_at: Date; expires_at: Date | null;
  status: StoredCommand['status']; detail: string | null; result: Record<string, unknown> | null; replayed: boolean | null; answered_at: Date | null;
};
export const COMMAND_COLUMNS = 'id, device_id, site_id, name, args, requested_by, requested_at, expires_at, status, detail, result, replayed, answered_at';
export const toCommand = (r: Row): StoredCommand => ({
  id: r.id,
  device: r.device_id,
  site: r.site_id,
  name: r.name,
  args: r.args,
  requested_by: r.requested_by,
  requested_ts: r.requested_at.getTime(),
  expires_ts: r.expires_at?.getTime() ?? null,
  status: r.status,
  detail: r.detail,
  result: r.result,
  replayed: r.replayed,
  answered_ts: r.answered_at?.getTime() ?? null,
});

/**
 * Store an answer. Only the device the command went to can answer it (same device id
 * in the topic), and the first answer stands: a replayed answer does not overwrite it.
 */
export async function storeCommandResult(pool: Pool, topic: string, payload: Buffer, log?: Logger): Promise<boolean> {
  const parsed = parseTopic(topic);
  if (parsed?.kind !== 'command-result') return false;
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    log?.warn({ topic }, 'command result is not JSON');
    return false;
  }
  const r = check(CommandResult, value);
  if (!r.ok) {
    log?.warn({ topic, reason: r.error.message }, 'invalid command result');
    return false;
  }
  const res = await pool.query(
    `UPDATE device_commands SET status = $4, detail = $5, result = $6, replayed = $7, answered_at = to_timestamp($8 / 1000.0)
      WHERE id = $1 AND device_id = $2 AND name = $3 AND status = 'sent'`,
    [r.value.id, parsed.device, parsed.name, r.value.status, r.value.detail ?? null, r.value.result ? JSON.stringify(r.value.result) : null, r.value.replayed ?? null, r.value.ts],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Options of the MQTT command bus. */
export interface MqttCommandBusOptions {
  url: string;
  username?: string;
  password?: string;
  pool: Pool;
  logger?: Logger;
}

/** The command bus on its own MQTT connection (the `svc-command-center` account may publish commands and read results). */
export function createMqttCommandBus(opts: MqttCommandBusOptions): CommandBus {
  const log = opts.logger ?? createLogger('cc-commands');
  const client: MqttClient = connect(opts.url, {
    protocolVersion: 4,
    clientId: `vigil-cc-cmd-${randomUUID().slice(0, 8)}`,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    clean: true,
    reconnectPeriod: 2000,
    resubscribe: false,
  });
  // PUBACKs on the socket, not through MQTT.js's connected flag (ingest/src/puback-writer.ts says why)
  ackOnReceipt(client);
  client.on('connect', () => {
    client.subscribe(COMMAND_RESULT_FILTER, { qos: 1 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) log.error({ err, filter: COMMAND_RESULT_FILTER }, 'command result subscription refused');
    });
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  client.on('message', (topic, payload) => {
    storeCommandResult(opts.pool, topic, payload, log).catch((err: unknown) => log.error({ err, topic }, 'storing a command result failed'));
  });
  return {
    async send(c) {
      const now = Date.now();
      const req: CommandRequest = { id: randomUUID(), name: c.name, ts: now, expires_at: now + c.ttlMs, by: c.by, ...(c.args ? { args: c.args } : {}) };
      const topic = commandTopic(c.site, c.device, c.name);
      const { rows } = await opts.pool.query<Row>(
        `INSERT INTO device_commands (id, device_id, site_id, name, args, requested_by, requested_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0), to_timestamp($8 / 1000.0)) RETURNING ${COMMAND_COLUMNS}`,
        [req.id, c.device, c.site, c.name, JSON.stringify(c.args ?? {}), c.by, now, req.expires_at],
      );
      await client.publishAsync(topic, JSON.stringify(req), { qos: 1 });
      return toCommand(rows[0]!);
    },
    isConnected: () => client.connected,
    async close() {
      await client.endAsync();
    },
  };
}
