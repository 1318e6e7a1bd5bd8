/** The benchmark's table: absolute figures per broker, ratios Vigil/bare Aedes and Vigil/Mosquitto, and the goals. */
import { SCENARIOS, type BenchSettings, type BrokerFigures } from './scenarios.js';

/** One broker's column. The first column is Vigil, the second bare Aedes, a third (optional) Mosquitto. */
export interface Column {
  name: string;
  figures: BrokerFigures;
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
/** Goals from the issue: at least this share of bare Aedes's throughput, 10 000 connections in under 1 GiB. */
const THROUGHPUT_GOAL = 0.8;
const GOAL_CONNECTIONS = 10_000;

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n') + '\n';
}

/** Print the table and the goal checks through `write`. */
export function printReport(columns: Column[], s: BenchSettings, write: (text: string) => void): void {
  const [vigil, aedes, mosquitto] = columns;
  if (vigil === undefined || aedes === undefined) throw new Error('the report needs the Vigil and bare Aedes columns');
  const ratioHeads = ['Vigil/Aedes', ...(mosquitto ? ['Vigil/Mosquitto'] : [])];
  const rows: string[][] = [['', ...columns.map((c) => c.name), ...ratioHeads]];
  const row = (label: string, value: (f: BrokerFigures) => number, digits = 0) => {
    const values = columns.map((c) => value(c.figures));
    const ratios = [values[0]! / values[1]!, ...(mosquitto ? [values[0]! / values[2]!] : [])];
    rows.push([label, ...values.map((v) => fmt(v, digits)), ...ratios.map((r) => fmt(r, 2))]);
  };
  for (const name of SCENARIOS) row(`${name.replace('many', String(s.publishers))} (msg/s)`, (f) => f.rates[name] ?? Number.NaN);
  row(`connect ${s.connections} devices, cold (conn/s)`, (f) => f.held / (f.connectMs / 1000), 1);
  row(`reconnect the ${s.connections} at once (conn/s)`, (f) => f.reconnected / (f.reconnectMs / 1000), 1);
  row('RSS idle (MiB)', (f) => f.idleRssBytes / MIB, 1);
  row('RSS before the hold (MiB)', (f) => f.beforeHoldRssBytes / MIB, 1);
  row(`RSS, ${s.connections} held (MiB)`, (f) => f.heldRssBytes / MIB, 1);
  row('RSS per held connection (KiB)', (f) => (f.heldRssBytes - f.beforeHoldRssBytes) / Math.max(f.held, 1) / 1024, 1);
  row('JS heap+external per held connection (KiB)', (f) => ((f.heldHeapBytes ?? Number.NaN) - (f.beforeHoldHeapBytes ?? Number.NaN)) / Math.max(f.held, 1) / 1024, 1);

  write(`\nBroker benchmark: ${s.messages} messages per scenario, ${s.payloadBytes}-byte payloads, ${s.publishers} publishers in the many → 1 runs, ${s.connections} connections held\n`);
  write(`Each broker in its own process on 127.0.0.1; clients are raw-socket MQTT 3.1.1 in separate worker processes. Throughput: median of ${s.rounds} rounds, brokers interleaved.\n`);
  write('Vigil: startBroker with device auth (scrypt), ACL on every publish/subscribe/forward, presence, revocation watch and limits (rates raised); bare Aedes and Mosquitto: no auth.\n\n');
  write(table(rows));
  for (const c of columns) {
    const lost = Object.entries(c.figures.lost);
    if (lost.length > 0) write(`! ${c.name}: messages not received before the timeout: ${lost.map(([k, v]) => `${k}: ${v}`).join(', ')}\n`);
    if (c.figures.connectFailed > 0) write(`! ${c.name}: ${c.figures.connectFailed} connections failed, first error: ${c.figures.firstConnectError}\n`);
  }

  write('\nGoals\n');
  for (const name of SCENARIOS) {
    const ratio = (vigil.figures.rates[name] ?? 0) / (aedes.figures.rates[name] ?? Number.NaN);
    write(`  ${ratio >= THROUGHPUT_GOAL ? 'PASS' : 'FAIL'}  ${name}: Vigil at ${fmt(ratio, 2)} of bare Aedes (goal ≥ ${THROUGHPUT_GOAL})\n`);
  }
  const f = vigil.figures;
  // RSS moves by tens of MiB as V8 grows and returns its heap, so a short run's RSS delta can even be negative; take the larger per-connection figure
  const perConn = Math.max(f.heldRssBytes - f.beforeHoldRssBytes, (f.heldHeapBytes ?? 0) - (f.beforeHoldHeapBytes ?? 0), 0) / Math.max(f.held, 1);
  const atGoal = s.connections >= GOAL_CONNECTIONS ? f.heldRssBytes : f.heldRssBytes + perConn * (GOAL_CONNECTIONS - f.held);
  const measured = s.connections >= GOAL_CONNECTIONS ? 'measured' : `estimated: RSS with ${f.held} held + ${fmt(perConn / 1024, 1)} KiB for each further connection`;
  const allHeld = f.held >= Math.min(s.connections, GOAL_CONNECTIONS) && f.connectFailed === 0;
  write(`  ${atGoal < GIB && allHeld ? 'PASS' : 'FAIL'}  ${GOAL_CONNECTIONS} authenticated device connections: ${fmt(atGoal / MIB, 0)} MiB (${measured}; goal < 1 024 MiB)\n`);
  write(`  note: Vigil authenticated ${f.held} cold connections in ${fmt(f.connectMs / 1000, 1)} s (${fmt(f.connectMs / Math.max(f.held, 1), 1)} ms each; scrypt N=2^15 dominates)\n`);
  write(`        and reconnected them in ${fmt(f.reconnectMs / 1000, 1)} s (${fmt(f.reconnectMs / Math.max(f.reconnected, 1), 2)} ms each); the credential cache (auth-cache.ts) only spares\n`);
  write('        devices whose last full check is under its TTL (5 min) old, so a cold connect longer than that leaves most of them to scrypt again.\n');
}
