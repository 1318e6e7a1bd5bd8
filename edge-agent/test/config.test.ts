import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, keyOf, type ConfigError } from '../src/index.js';
import { probePlugin } from './plugins.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const base = { site: 'prison-a', agent_id: 'edge-1', broker: { url: 'mqtt://127.0.0.1:1883' } };

function run(entry: string, config: string, name = 'agent.yaml'): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-edge-cfg-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, config);
    const r = spawnSync(process.execPath, ['--import', 'tsx', entry, '--config', file, '--data', join(dir, 'data')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', VIGIL_EDGE_SECRET: 'edge-1-secret-0123456789' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a bad driver setting stops start-up with exit 78 naming the key', () => {
  const yaml = [
    'site: prison-a',
    'agent_id: edge-1',
    'broker: { url: "mqtt://127.0.0.1:1" }',
    'drivers:',
    '  - { name: probe-a, type: probe, config: { devices: [tag-1] } }',
    '  - { name: probe-b, type: probe, config: { devices: [tag-2], port: 0 } }',
  ].join('\n');
  const r = run('edge-agent/test/fixtures/agent-child.ts', yaml);
  assert.equal(r.status, 78, r.stderr);
  assert.match(r.stderr, /^drivers\[1\]\.config\.port: must be >= 1 \/ 配置项 drivers\[1\]\.config\.port：必须 >= 1/);
});

test('the real entry point (main.ts) exits 78 on a bad queue bound, an unknown key, an unknown driver type and bad JSON', () => {
  const main = 'edge-agent/src/main.ts';
  const cases: [string, string, RegExp][] = [
    [JSON.stringify({ ...base, queue: { max_messages: 5 } }), 'a.json', /^queue\.max_messages: must be >= 1000/],
    [JSON.stringify({ ...base, broker: { ...base.broker, urll: 'x' } }), 'b.json', /^broker\.urll: is not a known key/],
    [JSON.stringify({ ...base, drivers: [{ name: 'x', type: 'nope', config: {} }] }), 'c.json', /^drivers\[0\]\.type: unknown driver type "nope"/],
    ['{ "site": ', 'd.json', /not valid JSON/],
  ];
  for (const [text, name, expected] of cases) {
    const r = run(main, text, name);
    assert.equal(r.status, 78, `${name}: ${r.stderr}`);
    assert.match(r.stderr, expected);
  }
});

test('validation names missing keys and fills defaults', () => {
  assert.throws(() => validateConfig({ site: 'prison-a', broker: base.broker }, []), (e: ConfigError) => e.key === 'agent_id' && /agent_id: is required/.test(e.message));
  const c = validateConfig({ ...base, drivers: [{ name: 'p', type: 'probe', config: { devices: ['t'] } }] }, [probePlugin]);
  assert.equal(c.queue.max_messages, 1_000_000);
  assert.equal(c.broker.max_publish_rate, 900);
  assert.equal(keyOf('/drivers/1/config/port'), 'drivers[1].config.port');
});
