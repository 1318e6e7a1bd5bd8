import { channelFilter } from '@vigil/schemas';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type pg from 'pg';
import { Batcher } from './batcher.js';
import { IngestError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { toLpRecords, toRecord, type IngestRecord } from './records.js';
import { writeBatch } from './writer.js';

/** Options for `startIngest`. */
export interface IngestOptions {
  /** `mqtt://host:port` or `mqtts://...` of the broker. */
  mqttUrl: string;
  mqttUsername?: string;
  mqttPassword?: string;
  /** Fixed client id: the broker keeps the session (and unacked messages) under it across restarts. */
  clientId: string;
  pool: pg.Pool;
  /** Rows per transaction at most. Default 500. */
  batchMaxRows?: number;
  /** Longest wait before a partial batch is written, in ms. Default 200. */
  flushIntervalMs?: number;
  logger?: Logger;
}

/** Counters since start. */
export interface IngestStats {
  received: number;
  written: number;
  duplicates: number;
  deadLettered: number;
}

/** A running ingest service. */
export interface Ingest {
  close(): Promise<void>;
  stats(): IngestStats;
}

interface Item {
  /** One for a JSON message; one per line for line protocol (dead letters included). */
  records: IngestRecord[];
  /** Set for QoS 1: the PUBACK to send once the batch holding it has committed. */
  messageId?: number;
  /** The connection it arrived on; an ack is only valid on that same connection. */
  stream: unknown;
}

// Given to mqtt.js's handleMessage callback to stop it sending the PUBACK itself (publish.js skips the ack on error).
const ACK_LATER = new Error('PUBACK deferred until the database commit');

const CHANNELS = [channelFilter('telemetry'), channelFilter('event'), channelFilter('status'), channelFilter('lp')];

/**
 * Subscribe to every device's telemetry, event, status and line-protocol topics (QoS 1,
 * persistent session), validate each message, and write batches to the
 * database; each message is acknowledged to the broker only after the
 * transaction holding it has committed (ARCHITECTURE.md "Data flow").
 */
export async function startIngest(opts: IngestOptions): Promise<Ingest> {
  const log = opts.logger ?? createLogger('ingest');
  const batchMaxRows = opts.batchMaxRows ?? 500;
  const counters: IngestStats = { received: 0, written: 0, duplicates: 0, deadLettered: 0 };
  const client = mqtt.connect(opts.mqttUrl, {
    protocolVersion: 4,
    clientId: opts.clientId,
    clean: false,
    username: opts.mqttUsername,
    password: opts.mqttPassword,
    reconnectPeriod: 1_000,
    resubscribe: false,
  });
  const sendAck = ackSender(client);

  const batcher = new Batcher<Item>({
    batchMaxRows,
    flushIntervalMs: opts.flushIntervalMs ?? 200,
    maxPending: batchMaxRows * 4,
    write: async (items) => {
      const result = await writeBatch(opts.pool, items.flatMap((i) => i.records));
      counters.written += result.written;
      counters.duplicates += result.duplicates;
      counters.deadLettered += result.deadLettered;
      // [MQTT-4.6.0-2] PUBACKs go out in the order the PUBLISHes arrived: batches commit in order.
      for (const item of items) if (item.messageId !== undefined) sendAck(item.messageId, item.stream);
    },
    onWriteError: (err, attempt) => log.error({ err, attempt }, 'database write failed; messages stay unacknowledged and will be retried'),
  });

  let closing: Promise<void> | undefined;
  client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
    // Shutting down: leave it unacknowledged, so the broker keeps it for the next session.
    if (closing) return done(ACK_LATER);
    counters.received++;
    const payload = toBuffer(packet.payload);
    const records = packet.topic.endsWith('/lp') ? toLpRecords(packet.topic, payload) : [toRecord(packet.topic, payload)];
    for (const record of records) {
      if (record.table === 'dead_letters') {
        log.warn({ topic: packet.topic, code: record.error.code, field: record.error.field, reason: record.error.message }, 'invalid message dead-lettered');
      }
    }
    batcher.add({ records, messageId: packet.qos > 0 ? packet.messageId : undefined, stream: client.stream });
    const release = () => (packet.qos > 0 ? done(ACK_LATER) : done());
    // Holding `done` stops mqtt.js reading the socket: backpressure when the database falls behind.
    void batcher.whenRoom().then(release);
  };

  client.on('connect', () => {
    log.info({ url: opts.mqttUrl, clientId: opts.clientId }, 'connected to broker');
    client.subscribe(CHANNELS, { qos: 1 }, (err, granted) => {
      const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? [];
      if (err || refused.length > 0) log.error({ err, refused }, 'subscription refused by the broker');
    });
  });
  client.on('error', (err) => log.error({ err }, 'mqtt error'));
  client.on('offline', () => log.warn('broker connection lost; reconnecting'));

  await firstSubscription(client, log);

  return {
    stats: () => ({ ...counters }),
    close() {
      closing ??= (async () => {
        await batcher.close();
        await client.endAsync();
      })();
      return closing;
    },
  };
}

/** Sends a PUBACK for a message id, but only on the connection the message came on. */
function ackSender(client: MqttClient): (messageId: number, stream: unknown) => void {
  // mqtt.js has no public ack call for MQTT 3.1.1 (customHandleAcks is MQTT 5 only, and delaying the
  // handleMessage callback serialises every message), so we send the packet through its own sender.
  const send = (client as unknown as { _sendPacket(packet: { cmd: 'puback'; messageId: number }): void })._sendPacket.bind(client);
  return (messageId, stream) => {
    // After a reconnect the broker redelivers unacked messages itself; a stale ack would be queued offline and misfire.
    if (client.connected && client.stream === stream) send({ cmd: 'puback', messageId });
  };
}

function toBuffer(payload: Buffer | string): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
}

/** Resolves on the first granted subscription; rejects if the broker refuses the credentials. */
function firstSubscription(client: MqttClient, log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error & { code?: number }) => {
      // CONNACK 4/5: bad user name or password / not authorised. Retrying will not help.
      if (err.code === 4 || err.code === 5) {
        cleanup();
        client.end(true);
        reject(new IngestError('VIGIL_INGEST_MQTT', `broker refused the connection: ${err.message}`, { cause: err }));
      }
    };
    const onSubscribe = (packet: { cmd: string }) => {
      if (packet.cmd !== 'suback') return;
      cleanup();
      log.info({ filters: CHANNELS }, 'subscribed');
      resolve();
    };
    const cleanup = () => {
      client.off('error', onError);
      client.off('packetreceive', onSubscribe);
    };
    client.on('error', onError);
    client.on('packetreceive', onSubscribe);
  });
}
