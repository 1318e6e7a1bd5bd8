/**
 * `npm run bench:api`: the command centre API under load, each figure beside a reference in the same run.
 *
 * 1. The alert list (`GET /api/alerts?limit=50`, signed in: session lookup, scope, query, audit row per request)
 *    at a fixed 500 requests per second with autocannon; the reference is a bare Fastify route answering the same
 *    JSON from memory. Goal: p99 under 50 ms.
 * 2. The live stream: 1,000 signed-in SSE clients; alerts published over MQTT to a real broker reach the command
 *    centre's feed, are filtered by each client's scope and written to every stream. Delay = when the client read it
 *    minus just before the publish. The reference is a bare Node SSE server writing the same frame to 1,000 clients.
 *    Goal: every client within 200 ms of the alert being raised.
 *
 * Settings (environment): VIGIL_BENCH_RATE (500), VIGIL_BENCH_SECONDS (10), VIGIL_BENCH_CLIENTS (1000),
 * VIGIL_BENCH_ALERTS (10), VIGIL_BENCH_DB `embedded` (default) or `postgres` (a throwaway PostgreSQL 15 server).
 * autocannon runs in a worker thread (its own event loop); the SSE clients share this process, and everything shares
 * the machine, so the figures include the load generator's cost in CPU, not in event-loop delay.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { Aedes } from 'aedes';
import { fastify } from 'fastify';
import mqtt from 'mqtt';
import { alertsTopic, newId, type Alert } from '@vigil/schemas';
import { createLogger, createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { buildApp, createMqttAlertFeed, createUser, listAlerts, loadScope } from '@vigil/command-center';
import { startRealPostgres } from '../ingest/test/helpers.js';

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}
const RATE = intSetting('VIGIL_BENCH_RATE', 500);
const SECONDS = intSetting('VIGIL_BENCH_SECONDS', 10);
const CLIENTS = intSetting('VIGIL_BENCH_CLIENTS', 1000);
const ALERTS = intSetting('VIGIL_BENCH_ALERTS', 10);
const say = (s: string) => process.stdout.write(`${s}\n`);
const silent = createLogger('bench', 'silent');

// ---- database, broker, app -------------------------------------------------------------------------------
const useRealPostgres = process.env.VIGIL_BENCH_DB === 'postgres';
const real = useRealPostgres ? await startRealPostgres() : undefined;
if (real && 'skip' in real) throw new Error(real.skip);
const db = real ? { url: real.url, close: real.stop } : await startEmbeddedDatabase({ port: 0 });
const pool = createPool(db.url, { maxConnections: useRealPostgres ? 8 : 1 });
await migrate(pool);
await pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('moj', NULL, 1, 'Ministry', '部'), ('prov', 'moj', 2, 'Province', '省')`);
await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prison-a', 'prov', 'prison', 'A', '甲'), ('prison-b', 'moj', 'prison', 'B', '乙')`);
const t0 = Date.now() - 86_400_000;
for (let i = 0; i < 500; i++) {
  const site = i % 2 ? 'prison-a' : 'prison-b';
  await pool.query(
    `INSERT INTO alerts (id, key, rule, severity, state, site_id, device_id, subject_id, title_en, title_zh, raised_at, last_at, count, evidence)
     VALUES ($1, $2, 'zone.exclusion', 'high', 'raised', $3, $4, NULL, 'Exclusion zone entered', '进入禁区', to_timestamp($5 / 1000.0), to_timestamp($5 / 1000.0), 1, '{}')`,
    [newId(), `k-${i}`, site, `tag-${i}`, t0 + i * 1000],
  );
}
const password = 'bench operator password';
await createUser(pool, { id: 'bench-op', username: 'bench-op', displayName: 'Bench', role: 'operator', orgUnitId: 'moj', password });

const broker = await Aedes.createBroker();
const mqttServer = net.createServer(broker.handle);
mqttServer.listen(0, '127.0.0.1');
await once(mqttServer, 'listening');
const mqttUrl = `mqtt://127.0.0.1:${(mqttServer.address() as net.AddressInfo).port}`;
const feed = createMqttAlertFeed({ url: mqttUrl, logger: silent });
await feed.whenSubscribed();
const app = await buildApp({
  pool,
  alertFeed: feed,
  logger: silent,
  security: { rateLimitPerUser: 10_000_000, rateLimitPerAddress: 10_000_000, loginRateLimitPerAddress: 1000 },
});
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-op', password }) });
const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;

// ---- 1. the alert list -------------------------------------------------------------------------------------
type Figures = { p50: number; p99: number; max: number; rps: number; non2xx: number; errors: number };
async function load(url: string, headers: Record<string, string>): Promise<Figures> {
  // One worker thread: the load generator has its own event loop, not the server's (in-thread, it added its own
  // timer and parsing delays to every latency, the bare reference's included).
  const r = await autocannon({ url, headers, connections: 20, overallRate: RATE, duration: SECONDS, workers: 1 });
  return { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, rps: r.requests.average, non2xx: r.non2xx, errors: r.errors };
}
const url = '/api/alerts?limit=50';
const scope = await loadScope(pool, { id: 'bench-op', role: 'operator', orgUnitId: 'moj' });
const sameJson = JSON.stringify({ alerts: await listAlerts(pool, scope, { limit: 50 }) });
const bare = fastify();
bare.get('/api/alerts', async (_req, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(sameJson));
await bare.listen({ port: 0, host: '127.0.0.1' });
const bareBase = `http://127.0.0.1:${(bare.server.address() as net.AddressInfo).port}`;

say(`Alert list: GET ${url} at ${RATE} req/s for ${SECONDS} s, 20 connections (${useRealPostgres ? 'PostgreSQL 15' : 'embedded database'})`);
await load(`${base}${url}`, { cookie }); // warm-up run, discarded
const vigil = await load(`${base}${url}`, { cookie });
const reference = await load(`${bareBase}${url}`, {});
const audited = Number((await pool.query<{ n: string }>("SELECT count(*) AS n FROM audit_log WHERE action = 'alerts.list'")).rows[0]!.n);
const row = (name: string, f: Figures) => say(`  ${name.padEnd(34)} p50 ${f.p50.toFixed(1).padStart(6)} ms  p99 ${f.p99.toFixed(1).padStart(6)} ms  max ${f.max.toFixed(0).padStart(5)} ms  ${f.rps.toFixed(0).padStart(5)} req/s  non-2xx ${f.non2xx}  errors ${f.errors}`);
row('Vigil (session, scope, audit)', vigil);
row('reference (bare Fastify, same JSON)', reference);
say(`  ratio Vigil/reference: p50 ${(vigil.p50 / Math.max(reference.p50, 0.1)).toFixed(1)}x, p99 ${(vigil.p99 / Math.max(reference.p99, 0.1)).toFixed(1)}x; audit rows written: ${audited}`);
say(`  goal p99 < 50 ms at ${RATE} req/s: ${vigil.p99 < 50 && vigil.non2xx === 0 ? 'met' : 'NOT met'}`);
await bare.close();

// ---- 2. the live stream ------------------------------------------------------------------------------------
/** Open `n` SSE clients on `target`; each records when it read each alert id. */
async function openClients(target: string, n: number, headers: Record<string, string>) {
  const seen = new Map<string, number[]>();
  const reqs: http.ClientRequest[] = [];
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const connected: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    connected.push(
      new Promise((resolve, reject) => {
        const req = http.get(target, { agent, headers: { ...headers, accept: 'text/event-stream' } }, (res) => {
          if (res.statusCode !== 200) return reject(new Error(`stream: HTTP ${res.statusCode}`));
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const now = performance.now();
            buf += chunk;
            if (buf.includes(': connected')) resolve();
            let end: number;
            while ((end = buf.indexOf('\n\n')) >= 0) {
              const frame = buf.slice(0, end);
              buf = buf.slice(end + 2);
              const m = /^event: alert\ndata: .*?"id":"([0-9a-f-]{36})"/.exec(frame);
              if (m) {
                const list = seen.get(m[1]!) ?? [];
                list.push(now);
                seen.set(m[1]!, list);
              }
            }
          });
        });
        req.on('error', reject);
        reqs.push(req);
      }),
    );
    if (i % 100 === 99) await Promise.all(connected.slice(-100));
  }
  await Promise.all(connected);
  return { seen, close: () => reqs.forEach((r) => r.destroy()) };
}

type Delays = { p50: number; p99: number; max: number; within: number; received: number };
function delays(sent: Map<string, number>, seen: Map<string, number[]>, n: number): Delays {
  const all: number[] = [];
  for (const [id, at] of sent) for (const t of seen.get(id) ?? []) all.push(t - at);
  all.sort((a, b) => a - b);
  const q = (p: number) => all[Math.min(all.length - 1, Math.floor(p * all.length))] ?? Number.NaN;
  return { p50: q(0.5), p99: q(0.99), max: all.at(-1) ?? Number.NaN, within: all.filter((d) => d <= 200).length / (sent.size * n), received: all.length / (sent.size * n) };
}

say('');
say(`Live stream: ${CLIENTS} signed-in SSE clients, ${ALERTS} alerts published over MQTT, 300 ms apart`);
const clients = await openClients(`${base}/api/alerts/stream`, CLIENTS, { cookie });
const publisher = await mqtt.connectAsync(mqttUrl, { protocolVersion: 4, reconnectPeriod: 0 });
const sent = new Map<string, number>();
for (let i = 0; i < ALERTS; i++) {
  const now = Date.now();
  const a: Alert = {
    v: 1, id: newId(), rule: 'zone.exclusion', key: `bench-${i}`, severity: 'critical', state: 'raised', site: 'prison-a', dev: 'tag-1',
    title: { en: 'Exclusion zone entered', 'zh-CN': '进入禁区' }, raised_ts: now, last_ts: now, count: 1, evidence: {},
  };
  sent.set(a.id, performance.now());
  await publisher.publishAsync(alertsTopic('prison-a'), JSON.stringify(a), { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
}
await new Promise((r) => setTimeout(r, 1000));
const vStream = delays(sent, clients.seen, CLIENTS);
clients.close();
await publisher.endAsync();

// Reference: a bare SSE server writing the same frame to the same number of clients.
const refClients = new Set<http.ServerResponse>();
const refServer = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(': connected\n\n');
  refClients.add(res);
  req.on('close', () => refClients.delete(res));
});
refServer.listen(0, '127.0.0.1');
await once(refServer, 'listening');
const ref = await openClients(`http://127.0.0.1:${(refServer.address() as net.AddressInfo).port}/`, CLIENTS, {});
const refSent = new Map<string, number>();
for (let i = 0; i < ALERTS; i++) {
  const id = newId();
  refSent.set(id, performance.now());
  const frame = `event: alert\ndata: {"id":"${id}","site":"prison-a"}\n\n`;
  for (const res of refClients) res.write(frame);
  await new Promise((r) => setTimeout(r, 300));
}
await new Promise((r) => setTimeout(r, 1000));
const rStream = delays(refSent, ref.seen, CLIENTS);
ref.close();
refServer.closeAllConnections();
refServer.close();

const srow = (name: string, d: Delays) =>
  say(`  ${name.padEnd(40)} p50 ${d.p50.toFixed(1).padStart(6)} ms  p99 ${d.p99.toFixed(1).padStart(6)} ms  max ${d.max.toFixed(0).padStart(5)} ms  within 200 ms ${(100 * d.within).toFixed(1)}%  received ${(100 * d.received).toFixed(1)}%`);
srow('Vigil (MQTT -> feed -> scope -> SSE)', vStream);
srow('reference (bare SSE write, no broker)', rStream);
say(`  ratio Vigil/reference: p50 ${(vStream.p50 / Math.max(rStream.p50, 0.1)).toFixed(1)}x, p99 ${(vStream.p99 / Math.max(rStream.p99, 0.1)).toFixed(1)}x`);
say(`  goal every client within 200 ms: ${vStream.within === 1 ? 'met' : 'NOT met'}`);

await app.close();
await feed.close();
await new Promise<void>((r) => broker.close(() => r()));
mqttServer.close();
await pool.end();
await db.close();
process.exit(0);
