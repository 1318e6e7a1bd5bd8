import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';

// What can be checked here of the deployment files (docs/operations.md): the
// systemd units with systemd-analyze verify, the compose file and Helm chart
// against the repository (entry points exist, values referenced exist, every
// setting documented in the one table of docs/configuration.md).
const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const DEPLOY = join(ROOT, 'deploy');
// every name in backticks in the first cell of a row of the settings table (a row may name several)
const documented = new Set(
  [...readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8').matchAll(/^\| ([^|]+) \|/gm)].flatMap((row) => [...row[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)),
);
const SETTING = /\b(VIGIL_[A-Z0-9_]+|DATABASE_URL)\b/g;
const undocumented = (text: string) => [...new Set([...text.matchAll(SETTING)].map((m) => m[1]!))].filter((n) => !documented.has(n));
const haveSystemdAnalyze = existsSync('/usr/bin/systemd-analyze');

test('systemd units pass systemd-analyze verify and start entry points that exist', { skip: !haveSystemdAnalyze && process.env.CI !== 'true' ? 'no systemd-analyze' : undefined }, async () => {
  const dir = join(DEPLOY, 'systemd');
  const units = readdirSync(dir).filter((f) => f.endsWith('.service') || f.endsWith('.target'));
  assert.ok(units.length >= 6, 'a unit per service and a target');
  const { stderr } = await run('systemd-analyze', ['verify', '--man=no', ...units.map((u) => join(dir, u))]);
  assert.equal(stderr.trim(), '', 'systemd-analyze verify prints nothing for valid units');
  for (const unit of units.filter((u) => u.endsWith('.service'))) {
    const text = readFileSync(join(dir, unit), 'utf8');
    const entry = /^ExecStart=\/usr\/bin\/node --import tsx \/opt\/vigil\/(\S+)/m.exec(text)?.[1];
    assert.ok(entry && existsSync(join(ROOT, entry)), `${unit}: ExecStart entry ${entry} exists in the repository`);
    assert.match(text, /^RestartPreventExitStatus=78$/m, `${unit}: a bad setting (exit 78) is not restarted in a loop`);
  }
});

test('a broken unit is reported by the same check', { skip: !haveSystemdAnalyze && process.env.CI !== 'true' ? 'no systemd-analyze' : undefined }, async () => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const tmp = await mkdtemp(join(ROOT, '.tmp-unit-'));
  try {
    const broken = readFileSync(join(DEPLOY, 'systemd', 'vigil-broker.service'), 'utf8').replace('Restart=on-failure', 'Restart=sometimes');
    await writeFile(join(tmp, 'vigil-broker.service'), broken);
    const { stderr } = await run('systemd-analyze', ['verify', '--man=no', join(tmp, 'vigil-broker.service')]);
    assert.match(stderr, /restart specifier/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('compose: every service runs an entry that exists, haproxy balances the brokers, every setting is documented', () => {
  const text = readFileSync(join(DEPLOY, 'compose', 'docker-compose.yml'), 'utf8');
  const compose = parse(text, { merge: true }) as { services: Record<string, { command?: string[] }> };
  const vigilServices = Object.entries(compose.services).filter(([, s]) => s.command?.[0]?.endsWith('.ts'));
  assert.ok(vigilServices.length >= 6);
  for (const [name, s] of vigilServices) assert.ok(existsSync(join(ROOT, s.command![0]!)), `${name}: ${s.command![0]} exists`);
  const haproxy = readFileSync(join(DEPLOY, 'compose', 'haproxy.cfg'), 'utf8');
  for (const [, host] of haproxy.matchAll(/^\s+server \S+ ([a-z0-9-]+):\d+/gm)) assert.ok(compose.services[host!], `haproxy backend ${host} is a compose service`);
  const example = readFileSync(join(DEPLOY, 'compose', 'vigil.env.example'), 'utf8');
  assert.deepEqual(undocumented(text + example).filter((n) => n !== 'VIGIL_REDIS_PASSWORD'), []);
});

test('helm: every .Values path the templates use exists in values.yaml; every setting is documented', () => {
  const chart = join(DEPLOY, 'helm', 'vigil');
  const meta = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as { apiVersion: string; name: string; version: string };
  assert.equal(meta.apiVersion, 'v2');
  const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const templates = readdirSync(join(chart, 'templates')).map((f) => readFileSync(join(chart, 'templates', f), 'utf8')).join('\n');
  const paths = [...new Set([...templates.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)].map((m) => m[1]!))];
  assert.ok(paths.length > 10);
  for (const path of paths) {
    const found = path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), values);
    assert.notEqual(found, undefined, `values.yaml has ${path}`);
  }
  assert.deepEqual(undocumented(templates + JSON.stringify(values)), []);
});

test('grafana: every metric the dashboard plots is exported by a service, and its SQL runs on a migrated database', { timeout: 120_000 }, async () => {
  const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'vigil-overview.json'), 'utf8')) as {
    panels: { title: string; targets: { expr?: string; rawSql?: string }[] }[];
  };
  const sources = ['broker/src/prometheus.ts', 'ingest/src/metrics.ts'].map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
  // a metric's name as declared: `name: 'vigil_…'`, or passed to a helper that declares it (byQos('vigil_…', …))
  const exported = new Set([...sources.matchAll(/(?:name: |\()'(vigil_[a-z_]+)'/g)].map((m) => m[1]!));
  const targets = dash.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, ...t })));
  const plotted = new Set<string>();
  for (const t of targets.filter((x) => x.expr)) {
    for (const [, metric] of t.expr!.matchAll(/\b(vigil_[a-z_]+?)(?:_bucket)?\b[[{(\s)]/g)) {
      plotted.add(metric!);
      assert.ok(exported.has(metric!), `${t.panel}: ${metric} is exported`);
    }
  }
  assert.ok(plotted.size >= 8, `the dashboard plots the broker's and ingest's metrics (${[...plotted].join(', ')})`);
  const { createPool, migrate, startEmbeddedDatabase } = await import('@vigil/ingest');
  const db = await startEmbeddedDatabase({ port: 0 });
  const pool = createPool(db.url);
  try {
    await migrate(pool);
    const sqls = targets.filter((x) => x.rawSql);
    assert.ok(sqls.length >= 2);
    for (const t of sqls) await pool.query(t.rawSql!.replace(/\$__timeFilter\((\w+)\)/g, "$1 > now() - interval '1 day'"));
  } finally {
    await pool.end();
    await db.close();
  }
});
