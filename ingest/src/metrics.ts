import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchReport, Ingest } from './ingest.js';

/** Prometheus metrics of one ingest instance. */
export interface IngestMetrics {
  /** Its own registry (not prom-client's global one), so two instances in a process never clash. */
  registry: Registry;
  /** Give to `startIngest({ onBatch })`: counts each committed batch and times its write. */
  onBatch(report: BatchReport): void;
  /** Read received, other-partition and pending from this ingest at every scrape. */
  attach(ingest: Pick<Ingest, 'stats' | 'pending'>): void;
}

/**
 * Counters, gauges and the commit latency histogram of ingest (issue 4),
 * named `vigil_ingest_*`. Everything counted per batch is counted after its
 * COMMIT, so a scrape never shows a row that a crash could still lose.
 */
export function createIngestMetrics(): IngestMetrics {
  const registry = new Registry();
  let source: Pick<Ingest, 'stats' | 'pending'> | undefined;
  // Mirrors of the ingest's own counters, read at scrape time: they are counted where messages arrive.
  const mirror = (name: string, help: string, read: (s: ReturnType<Ingest['stats']>) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        if (!source) return;
        this.reset();
        this.inc(read(source.stats()));
      },
    });
  mirror('vigil_ingest_received_total', 'MQTT messages received for this partition (redeliveries count again).', (s) => s.received);
  mirror('vigil_ingest_other_partition_total', "MQTT messages acknowledged without storing: another partition's devices.", (s) => s.otherPartition);
  new Gauge({
    name: 'vigil_ingest_pending',
    help: 'Messages held in memory waiting for their commit.',
    registers: [registry],
    collect() {
      if (source) this.set(source.pending());
    },
  });
  const written = new Counter({ name: 'vigil_ingest_written_rows_total', help: 'New rows committed, by table.', labelNames: ['table'], registers: [registry] });
  const duplicates = new Counter({
    name: 'vigil_ingest_duplicates_total',
    help: 'Valid rows already stored (QoS 1 redelivery or edge replay), skipped.',
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'vigil_ingest_dead_letters_total',
    help: 'Invalid messages (or line-protocol lines) committed to dead_letters, by error code; a redelivery of one already stored counts again.',
    labelNames: ['code'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'vigil_ingest_batch_commit_seconds',
    help: 'Time from the start of a batch write to its COMMIT.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Present from the first scrape, so rate() has a zero to start from.
  for (const table of ['tag_fixes', 'device_events', 'metrics']) written.inc({ table }, 0);
  duplicates.inc(0);

  return {
    registry,
    onBatch({ records, result, writeSeconds }) {
      for (const [table, n] of Object.entries(result.writtenByTable)) if (n > 0) written.inc({ table }, n);
      if (result.duplicates > 0) duplicates.inc(result.duplicates);
      for (const r of records) if (r.table === 'dead_letters') deadLetters.inc({ code: r.error.code });
      if (records.length > 0) latency.observe(writeSeconds);
    },
    attach(ingest) {
      source = ingest;
    },
  };
}
