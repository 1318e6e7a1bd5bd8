/** A service whose `/healthz` and `/metrics` the command centre reads (broker, ingest workers). */
export interface ServiceEndpoint {
  name: string;
  /** Base URL of its metrics listener, e.g. `http://127.0.0.1:9101`. */
  url: string;
}

/** What one probe found. */
export interface ServiceProbe {
  name: string;
  url: string;
  up: boolean;
  /** Why it is not up: the HTTP status or the connection error. */
  error: string | null;
  /** The figures of `FIGURES` it exposes (summed over labels). */
  figures: Record<string, number>;
}

/** The Prometheus series shown on the health page, by the service that exposes them. */
export const FIGURES = [
  'vigil_broker_connected_clients',
  'vigil_broker_inflight_messages',
  'vigil_broker_messages_received_total',
  'vigil_broker_auth_failures_total',
  'vigil_ingest_pending',
  'vigil_ingest_received_total',
  'vigil_ingest_written_rows_total',
  'vigil_ingest_duplicates_total',
  'vigil_ingest_dead_letters_total',
] as const;

/**
 * Parse `VIGIL_SERVICE_ENDPOINTS` (`name=http://host:port,...`); a bad item is
 * an error naming it.
 */
export function parseServiceEndpoints(raw: string): ServiceEndpoint[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const m = /^([A-Za-z0-9_.-]{1,64})=(https?:\/\/\S+)$/.exec(item);
      if (!m || !URL.canParse(m[2]!)) throw new Error(`"${item}" is not name=http://host:port`);
      return { name: m[1]!, url: m[2]!.replace(/\/+$/, '') };
    });
}

/** Probe every endpoint at once; one that hangs costs at most `timeoutMs`. */
export function probeServices(endpoints: readonly ServiceEndpoint[], timeoutMs = 2000): Promise<ServiceProbe[]> {
  return Promise.all(endpoints.map((e) => probeOne(e, timeoutMs)));
}

async function probeOne(e: ServiceEndpoint, timeoutMs: number): Promise<ServiceProbe> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const health = await fetch(`${e.url}/healthz`, { signal });
    await health.body?.cancel();
    const metrics = await fetch(`${e.url}/metrics`, { signal });
    const figures = metrics.ok ? pickFigures(await metrics.text()) : {};
    return { ...e, up: health.ok, error: health.ok ? null : `healthz answered ${health.status}`, figures };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ...e, up: false, error: cause ?? (err as Error).name, figures: {} };
  }
}

/**
 * The values of `FIGURES` in a Prometheus text exposition, summed over their
 * label sets. Only plain samples (`name{labels} value`) of these gauges and
 * counters are read, so this is the one line of the format we need — not a
 * general parser (no histogram or timestamp handling).
 */
export function pickFigures(text: string): Record<string, number> {
  const wanted = new Set<string>(FIGURES);
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || !wanted.has(m[1]!)) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) out[m[1]!] = (out[m[1]!] ?? 0) + v;
  }
  return out;
}
