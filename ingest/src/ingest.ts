import { channelFilter } from '@vigil/schemas';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type pg from 'pg';
import { Batcher } from './batcher.js';
import { IngestError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { rowWriterFor, type WriteMethod } from './copy-writer.js';
import { ownsTopic, type Partition } from './partition.js';
import { toLpRecords, toRecord, type IngestRecord } from './records.js';
import { writeBatch, type BatchResult, type RowWriter } from './writer.js';
import { ACK_LATER, pubackWriter } from './puback-writer.js';

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
  /** Store only the devices of this partition (several processes split the stream); default: store everything. */
  partition?: Partition;
  /** How rows reach the tables; default `'auto'`: one INSERT ... SELECT FROM unnest(arrays) per table (src/unnest-writer.ts, src/copy-writer.ts). */
  writeMethod?: WriteMethod | 'auto';
  /** Told every committed batch's rows (e.g. the InfluxDB mirror); must not throw or block. */
  onCommitted?(records: readonly IngestRecord[]): void;
  /** Told every committed batch's outcome and how long its write took (src/metrics.ts); must not throw or block. */
  onBatch?(report: BatchReport): void;
  logger?: Logger;
}

/** One committed batch, for metrics. */
export interface BatchReport {
  records: readonly IngestRecord[];
  result: BatchResult;
  /** From the start of the (successful) write attempt to its COMMIT. */
  writeSeconds: number;
}

/** Counters since start. */
export interface IngestStats {
  received: number;
  written: number;
  duplicates: number;
  deadLettered: number;
  /** Acknowledged without storing: devices of another partition, stored by the process that owns them. */
  otherPartition: number;
}

/** A running ingest service. */
export interface Ingest {
  close(): Promise<void>;
  stats(): IngestStats;
  /** Messages held in memory waiting for their commit; bounded (4 × batchMaxRows), also while the database is away. */
  pending(): number;
  /**
   * Store rows from another source (line protocol over HTTP) through the same batcher and writer:
   * batched, deduplicated, and resolved only once the transaction holding them has committed.
   * Rejects with VIGIL_INGEST_CLOSED if ingest closes first.
   */
  submit(records: IngestRecord[]): Promise<void>;
}

interface Item {
  /** One for a JSON message; one per line for line protocol (dead letters included). */
  records: IngestRecord[];
  /** Set for QoS 1: the PUBACK to send once the batch holding it has committed. */
  messageId?: number;
  /** The connection it arrived on; an ack is only valid on that same connection. */
  stream: unknown;
  /** Called once the batch holding it has committed (writes submitted from outside MQTT). */
  committed?: () => void;
}

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
  const counters: IngestStats = { received: 0, written: 0, duplicates: 0, deadLettered: 0, otherPartition: 0 };
  const client = mqtt.connect(opts.mqttUrl, {
    protocolVersion: 4,
    clientId: opts.clientId,
    clean: false,
    username: opts.mqttUsername,
    password: opts.mqttPassword,
    reconnectPeriod: 1_000,
    resubscribe: false,
  });
  const sendAcks = pubackWriter(client);
  // Chosen at the first write, not at start: the database may be away when ingest starts.
  let rowWriter: RowWriter | undefined;

  const batcher = new Batcher<Item>({
    batchMaxRows,
    flushIntervalMs: opts.flushIntervalMs ?? 200,
    maxPending: batchMaxRows * 4,
    write: async (items) => {
      const records = items.flatMap((i) => i.records);
      // A batch of only other partitions' messages has nothing to store, just acks to send in order.
      let result: BatchResult = { written: 0, duplicates: 0, deadLettered: 0, writtenByTable: { tag_fixes: 0, device_events: 0, metrics: 0 } };
      const startedAt = performance.now();
      if (records.length > 0) {
        rowWriter ??= await rowWriterFor(opts.pool, opts.writeMethod ?? 'auto');
        result = await writeBatch(opts.pool, records, rowWriter);
      }
      counters.written += result.written;
      counters.duplicates += result.duplicates;
      counters.deadLettered += result.deadLettered;
      // [MQTT-4.6.0-2] PUBACKs go out in the order the PUBLISHes arrived: batches commit in order.
      sendAcks(items);
      for (const item of items) item.committed?.();
      // Committed already: an observer's failure must not make the batcher write it again.
      try {
        opts.onCommitted?.(records);
      } catch (err) {
        log.error({ err }, 'onCommitted observer failed');
      }
      try {
        opts.onBatch?.({ records, result, writeSeconds: (performance.now() - startedAt) / 1000 });
      } catch (err) {
        log.error({ err }, 'onBatch observer failed');
      }
    },
    onWriteError: (err, attempt) => log.error({ err, attempt }, 'database write failed; messages stay unacknowledged and will be retried'),
  });

  // Tell mqtt.js the message is handled (never with its own PUBACK for QoS 1), at once while the batcher has room;
  // holding `done` stops mqtt.js reading the socket: backpressure when the database falls behind.
  const release = (packet: IPublishPacket, done: (err?: Error) => void) => {
    const err = packet.qos > 0 ? ACK_LATER : undefined;
    if (batcher.hasRoom()) done(err);
    else void batcher.whenRoom().then(() => done(err));
  };

  let closing: Promise<void> | undefined;
  client.handleMessage = (packet: IPublishPacket, done: (err?: Error) => void) => {
    // Shutting down: leave it unacknowledged, so the broker keeps it for the next session.
    if (closing) return done(ACK_LATER);
    if (opts.partition && !ownsTopic(opts.partition, packet.topic)) {
      // Safe to ack without storing: every ingest process has its own persistent session subscribed to
      // every channel, so the broker has queued this same message for the process that owns the device,
      // which stores it and acks only after its own commit. It goes through the batcher with no rows
      // because PUBACKs must leave in arrival order [MQTT-4.6.0-2].
      counters.otherPartition++;
      batcher.add({ records: [], messageId: packet.qos > 0 ? packet.messageId : undefined, stream: client.stream });
      release(packet, done);
      return;
    }
    counters.received++;
    const payload = toBuffer(packet.payload);
    const records = packet.topic.endsWith('/lp') ? toLpRecords(packet.topic, payload) : [toRecord(packet.topic, payload)];
    for (const record of records) {
      if (record.table === 'dead_letters') {
        log.warn({ topic: packet.topic, code: record.error.code, field: record.error.field, reason: record.error.message }, 'invalid message dead-lettered');
      }
    }
    batcher.add({ records, messageId: packet.qos > 0 ? packet.messageId : undefined, stream: client.stream });
    release(packet, done);
  };

  // Rejecters of submitted writes not yet committed, told when close drops them.
  const uncommitted = new Set<(err: Error) => void>();
  const submit = async (records: IngestRecord[]): Promise<void> => {
    const closed = () => new IngestError('VIGIL_INGEST_CLOSED', 'ingest closed before the write was committed');
    if (closing) throw closed();
    await batcher.whenRoom();
    if (closing) throw closed();
    await new Promise<void>((resolve, reject) => {
      uncommitted.add(reject);
      const committed = () => {
        uncommitted.delete(reject);
        resolve();
      };
      batcher.add({ records, stream: undefined, committed });
    });
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
    pending: () => batcher.size,
    submit,
    close() {
      closing ??= (async () => {
        await batcher.close();
        for (const reject of uncommitted) reject(new IngestError('VIGIL_INGEST_CLOSED', 'ingest closed before the write was committed'));
        uncommitted.clear();
        await client.endAsync();
      })();
      return closing;
    },
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
