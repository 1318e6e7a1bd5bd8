import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { Pool } from 'pg';
import { connectAsync, type MqttClient } from 'mqtt';
import { newId, type Alert } from '@vigil/schemas';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { createLogger } from '../src/logger.js';

/** A quiet logger for tests: warnings and errors only. */
export const testLogger = createLogger('cc-test', 'warn');

/** The real embedded database, migrated, with a pool; `close()` ends both. */
export async function startTestDb(): Promise<{ pool: Pool; close(): Promise<void> }> {
  const db = await startEmbeddedDatabase({ port: 0 });
  const pool = createPool(db.url);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    await db.close();
    throw err;
  }
  return {
    pool,
    async close() {
      await pool.end();
      await db.close();
    },
  };
}

/** A real Aedes broker on a free port, no auth. */
export async function startTestBroker(): Promise<{ url: string; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An MQTT 3.1.1 client for publishing test alerts. */
export function connectPublisher(url: string): Promise<MqttClient> {
  return connectAsync(url, { protocolVersion: 4, clientId: `cc-test-${newId().slice(-8)}`, reconnectPeriod: 0 });
}

/** A valid alert; fields may be overridden. */
export function sampleAlert(over: Partial<Alert> = {}): Alert {
  const now = Date.now();
  return {
    v: 1,
    id: newId(),
    rule: 'zone.exclusion',
    key: `zone.exclusion:tag-${Math.random().toString(36).slice(2, 8)}`,
    severity: 'high',
    state: 'raised',
    site: 'prison-a',
    dev: 'tag-0001',
    subject: 'p-0001',
    title: { en: 'Exclusion zone entered: perimeter fence', 'zh-CN': '进入禁区：围墙周界' },
    raised_ts: now,
    last_ts: now,
    count: 1,
    evidence: { zone_id: 'zone-fence', zone_name: 'Perimeter fence' },
    ...over,
  };
}

/** Store an alert as analytics would (migration 004_alerts.sql). */
export async function insertAlert(pool: Pool, a: Alert): Promise<void> {
  await pool.query(
    `INSERT INTO alerts (id, key, rule, severity, state, site_id, device_id, subject_id, title_en, title_zh,
                         raised_at, last_at, count, evidence)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, to_timestamp($11 / 1000.0), to_timestamp($12 / 1000.0), $13, $14)`,
    [a.id, a.key, a.rule, a.severity, a.state, a.site, a.dev, a.subject ?? null, a.title.en, a.title['zh-CN'], a.raised_ts, a.last_ts, a.count, JSON.stringify(a.evidence)],
  );
}

/** One parsed Server-Sent Events block: an event, a comment, or a `retry` field. */
export type SseFrame = { event: string; data: string } | { comment: string } | { retry: number };

/** A reader of an SSE response body that keeps its buffer between calls. */
export interface SseReader {
  /** Read until `until(frames read so far)` is true; reject after `timeoutMs`. */
  readUntil(until: (frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<SseFrame[]>;
}

/** Wrap an SSE response body. */
export function sseReader(body: ReadableStream<Uint8Array>): SseReader {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const frames: SseFrame[] = [];
  let buf = '';
  return {
    async readUntil(until, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!until(frames)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`SSE: condition not met in ${timeoutMs} ms; frames: ${JSON.stringify(frames)}`);
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`SSE: no data in ${timeoutMs} ms; frames: ${JSON.stringify(frames)}`)), left);
          }),
        ]).finally(() => clearTimeout(timer));
        if (chunk.done) throw new Error('SSE: stream ended');
        buf += decoder.decode(chunk.value, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          frames.push(parseFrame(buf.slice(0, end)));
          buf = buf.slice(end + 2);
        }
      }
      return frames;
    },
  };
}

function parseFrame(block: string): SseFrame {
  if (block.startsWith(':')) return { comment: block.slice(1).trim() };
  if (block.startsWith('retry: ')) return { retry: Number(block.slice(7)) };
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return { event, data: data.join('\n') };
}
