import { createPool } from '@vigil/ingest';
import type { LineSink } from '../../scripts/stack/service-process.js';
import { storedById, storedByDeviceTs, tamperAlerts } from './count.js';
import { startEdge, type EdgeRun } from './edge.js';
import { startLoad, type LoadRun } from './load.js';
import { startFaultSystem, type BrokerPersistenceKind, type FaultSystem } from './system.js';

/** Settings of one run of the fault suite. */
export interface FaultSuiteOptions {
  /** Load tags, each on its own MQTT connection. */
  tags: number;
  intervalMs: number;
  /** How long each fault lasts (service down, database down, agent cut off). */
  faultMs: number;
  /** Steady traffic before and after each fault. */
  steadyMs: number;
  /** Most time to wait for recovery and for every acknowledged message to be stored, per fault. */
  settleTimeoutMs: number;
  /** Fixes a second through the edge agent. */
  edgeRatePerS: number;
  /** Fixes handed to the cut-off agent whose queue holds 1 000 (min 1 000). */
  edgeFill: number;
  /** Run only the faults whose names start with one of these (default all). */
  only?: readonly string[];
  /** Where the broker keeps its sessions (VIGIL_BROKER_PERSISTENCE): `sqlite` (default, survives its SIGKILL) or `memory`. */
  brokerPersistence?: BrokerPersistenceKind;
  report(line: string): void;
  sink?: LineSink;
}

/** One line of the suite's table. */
export interface FaultRow {
  fault: string;
  /** Published by the load tags (and handed to an edge agent) in this fault's window. */
  sent: number;
  /** PUBACK received (load tags) or committed to the agent's disk queue (edge). */
  acked: number;
  /** Acknowledged messages with at least one row. */
  stored: number;
  /** Extra rows for one message. */
  duplicated: number;
  /** Acknowledged, not stored, and not reported dropped by an edge agent. */
  lost: number;
  /** Of the lost load messages: how many were sent before the fault, during it (queued by mqtt.js), and after its end; and how many of the edge agent's. */
  lostWhen: { before: number; during: number; after: number; edge: number };
  /** Dropped by an edge agent at its queue limit, and reported in its agent.status. */
  droppedReported: number;
  alertsExpected: number;
  alertsRaised: number;
  alertsMissed: number;
  /** Alerts beyond one for an expected condition. */
  alertsDoubled: number;
  /** Fault end to the first message sent after it being stored (analytics: to its alert; edge: queue drained); null if never. */
  recoveryMs: number | null;
  /** Fault end to every acknowledged message of the window stored; null if not within settleTimeoutMs. */
  caughtUpMs: number | null;
}

interface Fault {
  name: string;
  begin(): Promise<void>;
  end(): Promise<void>;
  /** Who raises this window's expected alert, mid-fault. */
  alert(): Promise<string>;
  /** Resolves when the system has recovered from this fault (`alertDev`: who raised this window's alert). */
  recovered(tEnd: number, alertDev: string): Promise<void>;
}

interface Timing {
  recoveryMs: number | null;
  caughtUpMs: number | null;
  begin: number;
  end: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` (errors count as false, e.g. while the database is down) until true or `ms` pass. */
async function poll(check: () => Promise<boolean>, ms: number, everyMs = 200): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return true;
    await sleep(everyMs);
  }
  return false;
}

/**
 * Start the system, put it under load, and inject the faults one after
 * another (broker, ingest, analytics SIGKILLed and restarted; the database
 * stopped and started; an edge agent cut off; an edge agent's queue filled
 * past its limit). Each fault has its window: what is sent in it is counted
 * against what is stored, and one tamper event sent mid-fault must raise
 * exactly one alert.
 */
export async function runFaultSuite(o: FaultSuiteOptions): Promise<FaultRow[]> {
  const site = 'cc-lingyin';
  const prefix = 'fload';
  const sys: FaultSystem = await startFaultSystem({ loadTags: o.tags, prefix, site, sink: o.sink ?? (() => undefined), brokerPersistence: o.brokerPersistence ?? 'sqlite' });
  const pool = createPool(sys.databaseUrl, { maxConnections: 2 });
  let load: LoadRun | undefined;
  const edges: EdgeRun[] = [];
  try {
    o.report(`system up (PostgreSQL 15, broker, ingest, analytics); connecting ${o.tags} tags`);
    const t0 = Date.now();
    load = await startLoad({ mqttUrl: sys.mqttUrl, secret: sys.tagSecret, site, prefix, tags: o.tags, intervalMs: o.intervalMs, centre: { lat: 29.9, lon: 121.9 } });
    o.report(`${o.tags} tags connected in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${((o.tags / o.intervalMs) * 1000).toFixed(0)} fixes/s`);
    const link = await startEdge({ pool, site, agentId: 'fault-edge-1', brokerPort: sys.mqttPort, deviceCount: 4 });
    edges.push(link);
    const fill = await startEdge({ pool, site, agentId: 'fault-edge-2', brokerPort: sys.mqttPort, deviceCount: 2, maxMessages: 1000 });
    edges.push(fill);
    link.feed(o.edgeRatePerS);
    const l = load;
    const stored = async (ids: string[]) => (await storedById(pool, ids)).size > 0;
    const firstNewStored = async (tEnd: number) => {
      await poll(async () => {
        const ids = [...l.log.values()].filter((r) => r.sentAt >= tEnd).slice(0, 200).map((r) => r.id);
        return ids.length > 0 && (await stored(ids));
      }, o.settleTimeoutMs);
    };
    const alertRaised = async (_tEnd: number, dev: string) => void (await poll(async () => (await tamperAlerts(pool)).has(dev), o.settleTimeoutMs));
    let alertDevice = 0;
    const loadAlert = async () => l.tamper(++alertDevice * 11 % o.tags).dev;
    const restartFault = (name: 'broker' | 'ingest' | 'analytics'): Fault => ({
      name: `${name} SIGKILL + restart`,
      begin: () => sys.kill(name),
      end: async () => void (await sys.start(name)),
      alert: loadAlert,
      // analytics stores nothing: it has recovered when the alert sent while it was down is raised
      recovered: name === 'analytics' ? alertRaised : firstNewStored,
    });
    const faults: Fault[] = [
      restartFault('broker'),
      restartFault('ingest'),
      restartFault('analytics'),
      { name: 'database stop + start', begin: () => sys.pg.stopServer(), end: () => sys.pg.startServer(), alert: loadAlert, recovered: firstNewStored },
      {
        name: 'edge agent cut off',
        begin: async () => link.relay.cut(),
        end: async () => link.relay.restore(),
        alert: async () => (await link.tamper(0)).dev,
        // fed all along, its queue is never quite empty: drained = less than a second of traffic left
        recovered: async () => void (await poll(async () => link.agent.queueDepth() <= Math.max(5, o.edgeRatePerS), o.settleTimeoutMs)),
      },
      {
        name: `edge queue filled (${o.edgeFill} > 1000)`,
        begin: async () => {
          fill.relay.cut();
          await fill.burst(o.edgeFill);
        },
        end: async () => fill.relay.restore(),
        alert: async () => (await fill.tamper(1)).dev,
        recovered: async () => void (await poll(async () => fill.agent.queueDepth() === 0, o.settleTimeoutMs)),
      },
    ];
    const chosen = o.only === undefined ? faults : faults.filter((f) => o.only!.some((p) => f.name.startsWith(p)));
    const expected = new Map<number, string>();
    const timing = new Map<number, Timing>();
    const setWindow = (w: number) => {
      l.setWindow(w);
      for (const e of edges) e.setWindow(w);
    };
    await sleep(o.steadyMs);
    for (const [i, f] of chosen.entries()) {
      const w = i + 1;
      setWindow(w);
      await sleep(o.steadyMs);
      o.report(`fault ${w}: ${f.name}`);
      const tBegin = Date.now();
      await f.begin();
      await sleep(o.faultMs / 2);
      expected.set(w, await f.alert());
      await sleep(o.faultMs / 2);
      await f.end();
      const tEnd = Date.now();
      const rec = await Promise.race([f.recovered(tEnd, expected.get(w)!).then(() => Date.now() - tEnd), sleep(o.settleTimeoutMs).then(() => null)]);
      const caught = await poll(async () => {
        const mine = [...l.log.values()].filter((r) => r.window === w && r.ackedAt !== undefined).map((r) => r.id);
        return (await storedById(pool, mine)).size === mine.length;
      }, o.settleTimeoutMs, 500);
      timing.set(w, { recoveryMs: rec, caughtUpMs: caught ? Date.now() - tEnd : null, begin: tBegin, end: tEnd });
      const { rows: cause } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM device_events WHERE device_id = $1 AND type = 'tag.tamper'`, [expected.get(w)]);
      o.report(`  the tamper event of ${expected.get(w)} stored ${cause[0]!.n} time(s); its alert raised ${(await tamperAlerts(pool)).get(expected.get(w)!) ?? 0} time(s)`);
      o.report(`  recovered in ${rec === null ? 'never' : `${rec} ms`}; acknowledged messages ${caught ? `all stored after ${Date.now() - tEnd} ms` : 'NOT all stored'}`);
      await sleep(o.steadyMs);
    }
    // Stop sending; let the last acknowledgements and writes settle, then count.
    setWindow(chosen.length + 1);
    l.pause();
    await link.stopFeed();
    await poll(async () => l.pending() === 0 && edges.every((e) => e.agent.queueDepth() === 0), o.settleTimeoutMs);
    await poll(async () => {
      const acked = [...l.log.values()].filter((r) => r.ackedAt !== undefined).map((r) => r.id);
      return (await storedById(pool, acked)).size === acked.length;
    }, o.settleTimeoutMs, 1000);
    await sleep(2000); // analytics' last alerts (counted below; expected ones were polled above via recovery)
    return await tally(pool, l, edges, chosen.map((f) => f.name), expected, timing, fill);
  } finally {
    await load?.close();
    for (const e of edges) await e.stop().catch(() => undefined);
    await pool.end();
    await sys.stop();
  }
}

async function tally(
  pool: ReturnType<typeof createPool>,
  load: LoadRun,
  edges: EdgeRun[],
  names: string[],
  expected: Map<number, string>,
  timing: Map<number, Timing>,
  fill: EdgeRun,
): Promise<FaultRow[]> {
  const all = [...load.log.values()];
  const byId = await storedById(pool, all.map((r) => r.id));
  const edgeStored = await storedByDeviceTs(pool, edges.flatMap((e) => e.devices));
  const alerts = await tamperAlerts(pool);
  const { rows: status } = await pool.query<{ dropped: number }>(
    `SELECT (body->>'dropped')::int AS dropped FROM device_events WHERE device_id = $1 AND type = 'agent.status' ORDER BY time DESC LIMIT 1`,
    [fill.agentId],
  );
  const fillDropped = status[0]?.dropped ?? 0;
  const rows: FaultRow[] = [];
  for (let w = 0; w <= names.length; w++) {
    const mine = all.filter((r) => r.window === w);
    const acked = mine.filter((r) => r.ackedAt !== undefined);
    const edgeMine = edges.flatMap((e) => e.log.filter((r) => r.window === w && r.committed));
    let storedN = 0;
    let dup = 0;
    const t = timing.get(w);
    const lostWhen = { before: 0, during: 0, after: 0, edge: 0 };
    for (const r of acked) {
      const n = byId.get(r.id) ?? 0;
      if (n > 0) storedN++;
      else if (t && r.sentAt < t.begin) lostWhen.before++;
      else if (t && r.sentAt < t.end) lostWhen.during++;
      else lostWhen.after++;
      dup += Math.max(0, n - 1);
    }
    for (const r of edgeMine) {
      const n = edgeStored.get(`${r.dev}|${r.ts}`) ?? 0;
      if (n > 0) storedN++;
      else {
        lostWhen.edge++;
        if (lostWhen.edge <= 10 && t) process.stderr.write(`  lost (edge) ${r.dev} ${r.type} ts=${r.ts}, ${r.ts - t.begin} ms after the fault began\n`);
      }
      dup += Math.max(0, n - 1);
    }
    const droppedReported = fill.log.some((r) => r.window === w) ? fillDropped : 0;
    const ackedN = acked.length + edgeMine.length;
    const dev = expected.get(w);
    const raised = dev === undefined ? 0 : (alerts.get(dev) ?? 0);
    rows.push({
      fault: w === 0 ? 'baseline (no fault)' : names[w - 1]!,
      sent: mine.length + edgeMine.length,
      acked: ackedN,
      stored: storedN,
      duplicated: dup,
      lost: Math.max(0, ackedN - storedN - droppedReported),
      lostWhen,
      droppedReported,
      alertsExpected: dev === undefined ? 0 : 1,
      alertsRaised: raised,
      alertsMissed: dev !== undefined && raised === 0 ? 1 : 0,
      alertsDoubled: Math.max(0, raised - 1),
      recoveryMs: t?.recoveryMs ?? null,
      caughtUpMs: t?.caughtUpMs ?? null,
    });
  }
  return rows;
}

/** The suite's table, one line per fault. */
export function formatTable(rows: readonly FaultRow[]): string {
  const head = ['fault', 'sent', 'acked', 'stored', 'dup', 'lost', 'dropped (reported)', 'alerts exp', 'raised', 'missed', 'recovery s', 'caught up s'];
  const s = (ms: number | null) => (ms === null ? '—' : (ms / 1000).toFixed(1));
  const body = rows.map((r) => [r.fault, r.sent, r.acked, r.stored, r.duplicated, r.lost, r.droppedReported, r.alertsExpected, r.alertsRaised, r.alertsMissed, s(r.recoveryMs), s(r.caughtUpMs)].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
