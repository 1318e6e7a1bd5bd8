import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nmeaChecksum } from '../src/index.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const SCENARIO = fileURLToPath(new URL('../scenarios/evening-breaches.yaml', import.meta.url));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, VIGIL_MQTT_URL: '', VIGIL_SIM_TAG_SECRET: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

test('vigil-sim refuses bad settings with exit 78, naming the setting', async () => {
  const missing = await run(['scenario', '/nonexistent.yaml', '--fast', '--nmea', '127.0.0.1:1']);
  assert.equal(missing.code, 78);
  assert.match(missing.stderr, /FILE: .*nonexistent/);
  const tags = await run(['load', '--tags', 'many', '--interval', '10', '--mqtt', 'mqtt://127.0.0.1:1', '--secret', 'x']);
  assert.equal(tags.code, 78);
  assert.match(tags.stderr, /--tags: must be a number/);
  const secret = await run(['load', '--tags', '10', '--interval', '10', '--mqtt', 'mqtt://127.0.0.1:1']);
  assert.equal(secret.code, 78);
  assert.match(secret.stderr, /--secret: is required/);
});

test('vigil-sim scenario --nmea writes one identified stream per tag with valid checksums and the scripted tamper frames', async () => {
  const server = createServer();
  const streams: Array<{ lines: string[] }> = [];
  server.on('connection', (s: Socket) => {
    const st = { lines: [] as string[] };
    streams.push(st);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const parts = buf.split('\r\n');
      buf = parts.pop()!;
      st.lines.push(...parts);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const r = await run(['scenario', SCENARIO, '--seed', '7', '--fast', '--nmea', `127.0.0.1:${port}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /14:10:00 tag tag-0004 strap-cut/);
  await new Promise((res) => setTimeout(res, 200));
  server.close();
  assert.equal(streams.length, 5, 'one connection per tag of the scenario');
  const ids = streams.map((s) => /^\$PVGLI,([^,]+),/.exec(s.lines[0]!)?.[1]).sort();
  assert.deepEqual(ids, ['tag-0004', 'tag-0005', 'tag-0006', 'tag-0007', 'tag-0008']);
  for (const s of streams) {
    for (const line of s.lines) {
      const m = /^\$(.*)\*([0-9A-F]{2})$/.exec(line);
      assert.ok(m, `framed: ${line}`);
      assert.equal(m[2], nmeaChecksum(m[1]!), line);
    }
  }
  const tamper = streams.flatMap((s) => s.lines.filter((l) => l.startsWith('$PVGLT')));
  assert.deepEqual(
    tamper.map((l) => l.replace(/\*.*/, '')),
    ['$PVGLT,tag-0004,strap,1', '$PVGLT,tag-0004,strap,0'],
  );
});

test('vigil-sim scenario --gates-port runs the prison doors beside the tags and plays gate steps', async () => {
  const server = createServer();
  const lines: string[] = [];
  server.on('connection', (s: Socket) => s.on('data', (d: Buffer) => lines.push(...d.toString('latin1').split('\r\n').filter(Boolean))));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const pki = mkdtempSync(join(tmpdir(), 'vigil-sim-gates-'));
  try {
    const file = fileURLToPath(new URL('../scenarios/prison-and-community.yaml', import.meta.url));
    const r = await run(['scenario', file, '--fast', '--nmea', `127.0.0.1:${port}`, '--gates-port', '0', '--gates-password', 'gates-password-0123', '--gates-pki', pki]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /VIGIL_SIM_GATES_READY opc\.tcp:\/\/localhost:\d+/);
    assert.match(r.stdout, /14:06:00 gate pn-a-main forced/);
    assert.match(r.stdout, /14:07:00 gate pn-b-yard held_open/);
    await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual(
      lines.filter((l) => l.startsWith('$PVGLT')).map((l) => l.replace(/\*.*/, '')),
      ['$PVGLT,tag-0004,case,1', '$PVGLT,tag-0004,case,0'],
    );
    const refused = await run(['scenario', file, '--fast', '--nmea', `127.0.0.1:${port}`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /line 13: no gate simulator in this run/);
  } finally {
    server.close();
    rmSync(pki, { recursive: true, force: true });
  }
});
