import { appendFileSync } from 'node:fs';
import { formatTable, runFaultSuite } from './suite.js';

/**
 * `npm run fault:system`: the fault suite at its long setting. Settings (env):
 * VIGIL_FAULT_TAGS (2000), VIGIL_FAULT_INTERVAL_S (5), VIGIL_FAULT_DOWN_S (120,
 * each fault's length), VIGIL_FAULT_STEADY_S (15), VIGIL_FAULT_SETTLE_S (180),
 * VIGIL_FAULT_EDGE_RATE (50 fixes/s through the edge agent), VIGIL_FAULT_EDGE_FILL (1500),
 * VIGIL_FAULT_ONLY (comma-separated fault name prefixes, e.g. broker,edge; default all),
 * VIGIL_FAULT_LOG (a file for every service output line), VIGIL_FAULT_BROKER_PERSISTENCE
 * (sqlite, the default: the broker's sessions in a file that outlives its SIGKILL; memory: as before;
 * redis: the cluster's persistence, a redis-server started by the suite).
 * Exits 1 if any acknowledged message was lost or doubled, or an alert missed or doubled.
 */
const num = (name: string, dflt: number, min: number) => {
  const raw = process.env[name];
  const v = raw === undefined ? dflt : Number(raw);
  if (!Number.isFinite(v) || v < min) {
    process.stderr.write(`${name}: must be a number ≥ ${min}, got ${JSON.stringify(raw)}\n`);
    process.exit(78);
  }
  return v;
};
const opts = {
  tags: num('VIGIL_FAULT_TAGS', 2000, 1),
  intervalMs: num('VIGIL_FAULT_INTERVAL_S', 5, 0.1) * 1000,
  faultMs: num('VIGIL_FAULT_DOWN_S', 120, 1) * 1000,
  steadyMs: num('VIGIL_FAULT_STEADY_S', 15, 0) * 1000,
  settleTimeoutMs: num('VIGIL_FAULT_SETTLE_S', 180, 1) * 1000,
  edgeRatePerS: num('VIGIL_FAULT_EDGE_RATE', 50, 1),
  edgeFill: num('VIGIL_FAULT_EDGE_FILL', 1500, 1001),
  ...(process.env.VIGIL_FAULT_ONLY ? { only: process.env.VIGIL_FAULT_ONLY.split(',') } : {}),
  brokerPersistence: brokerPersistence(process.env.VIGIL_FAULT_BROKER_PERSISTENCE ?? 'sqlite'),
};
function brokerPersistence(raw: string): 'sqlite' | 'memory' | 'redis' {
  if (raw === 'sqlite' || raw === 'memory' || raw === 'redis') return raw;
  process.stderr.write(`VIGIL_FAULT_BROKER_PERSISTENCE: must be sqlite, memory or redis, got ${JSON.stringify(raw)}\n`);
  process.exit(78);
}
const say = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
say(`fault suite: ${opts.tags} tags every ${opts.intervalMs / 1000} s, each fault ${opts.faultMs / 1000} s, broker persistence ${opts.brokerPersistence}`);
// VIGIL_FAULT_LOG=FILE keeps every service's output lines
const logFile = process.env.VIGIL_FAULT_LOG;
const rows = await runFaultSuite({ ...opts, report: say, sink: (name, line) => void (logFile ? appendFileSync(logFile, `[${name}] ${line}\n`) : undefined) });
process.stdout.write(`\n${formatTable(rows)}\n`);
for (const r of rows.filter((x) => x.lost > 0)) say(`${r.fault}: lost by when sent ${JSON.stringify(r.lostWhen)} (during = while down, queued by mqtt.js; edge = sent through the edge agent, counted as dropped when it reported dropping them)`);
const bad = rows.filter((r) => r.lost > 0 || r.duplicated > 0 || r.alertsMissed > 0 || r.alertsDoubled > 0);
process.exit(bad.length > 0 ? 1 : 0);
