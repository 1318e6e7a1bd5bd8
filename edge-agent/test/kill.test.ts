import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_SECRET, connectClient, SECRETS, SITE, spawnAgent, startRegistry, startTestBroker, until, type Received } from './helpers.js';

const AGENT = 'edge-2';
const DEVICE = 'tag-k';
const RUN1 = 1_700_000_000_000;
const RUN2 = 1_800_000_000_000;

test('agent killed with SIGKILL mid-stream and restarted: no message whose emit resolved is lost, seq never repeats', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-edge-kill-'));
  const db = await startRegistry(AGENT, [DEVICE]);
  const broker = await startTestBroker(db.pool);
  const sub = await connectClient(broker.port, { clientId: 'svc-ingest-kill', username: 'svc-ingest', password: SECRETS.ingest });
  const got: Received[] = [];
  sub.on('message', (_t, p) => got.push(JSON.parse(p.toString()) as Received));
  await sub.subscribeAsync(`vigil/v1/${SITE}/${DEVICE}/telemetry`, { qos: 1 });
  const configFile = join(dir, 'agent.yaml');
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, `${AGENT_SECRET}\n`);
  const writeConfig = (count: number, tsBase: number) =>
    writeFileSync(
      configFile,
      [
        `site: ${SITE}`,
        `agent_id: ${AGENT}`,
        'broker:',
        `  url: mqtt://127.0.0.1:${broker.port}`,
        `  secret_file: ${secretFile}`,
        '  reconnect_ms: 200',
        'drivers:',
        '  - name: counter-1',
        '    type: counter',
        `    config: { device: ${DEVICE}, count: ${count}, batch: 100, ts_base: ${tsBase} }`,
        '',
      ].join('\n'),
    );
  const children: ReturnType<typeof spawnAgent>[] = [];
  try {
    writeConfig(50_000, RUN1);
    const first = spawnAgent(['--config', configFile, '--data', join(dir, 'data')]);
    children.push(first);
    const acked = () => Math.max(0, ...first.lines.filter((l) => l.startsWith('ACKED ')).map((l) => Number(l.slice(6))));
    await until(() => acked() >= 3_000, 60_000, () => `first run acked ${acked()}: ${first.lines.slice(-5).join(' | ')}`);
    first.child.kill('SIGKILL');
    await first.exited;
    const ackedBeforeKill = acked();
    assert.ok(ackedBeforeKill < 50_000, 'killed mid-stream');

    writeConfig(500, RUN2);
    const second = spawnAgent(['--config', configFile, '--data', join(dir, 'data')]);
    children.push(second);
    const run = (base: number) => new Set(got.filter((m) => m.ts >= base && m.ts < base + 1e11).map((m) => m.ts - base));
    await until(
      () => run(RUN1).size >= ackedBeforeKill && run(RUN2).size >= 500,
      120_000,
      () => `run 1: ${run(RUN1).size} of ${ackedBeforeKill} acknowledged; run 2: ${run(RUN2).size} of 500; ${second.lines.slice(-3).join(' | ')}`,
    );
    const r1 = run(RUN1);
    for (let i = 0; i < ackedBeforeKill; i++) assert.ok(r1.has(i), `message ${i} of the first run, acknowledged to the driver, was lost`);
    const idBySeq = new Map<number, string>();
    for (const m of got) {
      const other = idBySeq.get(m.seq);
      assert.ok(other === undefined || other === m.id, `seq ${m.seq} used by two messages (${other} and ${m.id})`);
      idBySeq.set(m.seq, m.id);
    }
    const maxRun1 = Math.max(...got.filter((m) => m.ts < RUN2).map((m) => m.seq));
    const minRun2 = Math.min(...got.filter((m) => m.ts >= RUN2).map((m) => m.seq));
    assert.ok(minRun2 > maxRun1, `second run's seq ${minRun2} continues after the first's ${maxRun1}`);
    process.stdout.write(`killed after ${ackedBeforeKill} acknowledged emits; ${r1.size} of the first run delivered (more were written than acknowledged), seq resumed at ${minRun2}\n`);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  } finally {
    for (const c of children) c.child.kill('SIGKILL');
    await sub.endAsync(true);
    await broker.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
