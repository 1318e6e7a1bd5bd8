import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

// `npm run test:offline-install` (not in `npm test`: it builds a ~200 MiB archive).
// The archive from `npm run package:offline` is unpacked, installed with its
// install.sh, and the whole of Vigil is started from the installed copy inside
// a network namespace with nothing but loopback: it must come up, serve the UI
// and report its database healthy, with no way to download anything.
const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

test('the offline archive installs and starts with no network', { timeout: 1_200_000 }, async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const archive = join(ROOT, 'dist', `vigil-${pkg.version}-linux-${process.arch}.tar.gz`);
  if (!existsSync(archive) || process.env.VIGIL_REBUILD_ARCHIVE === 'true') {
    execFileSync('npm', ['run', 'package:offline'], { cwd: ROOT, stdio: 'inherit' });
  }
  const dir = await mkdtemp(join(tmpdir(), 'vigil-offline-'));
  try {
    await run('tar', ['-xzf', archive, '-C', dir]);
    const installed = await run(join(dir, 'vigil', 'install.sh'), ['--prefix', join(dir, 'opt'), '--etc', join(dir, 'etc'), '--no-systemd', '--no-user']);
    assert.match(installed.stdout, /installed/);
    const app = join(dir, 'opt', 'vigil');
    assert.ok(readdirSync(join(app, 'node_modules', '@vladmandic', 'human', 'models')).some((f) => f.endsWith('.json')), 'the models are inside');
    assert.ok(!existsSync(join(app, 'node_modules', 'typescript')), 'dev dependencies are pruned');
    assert.match(readFileSync(join(dir, 'etc', 'vigil.env'), 'utf8'), /VIGIL_INGEST_MQTT_SECRET=\S{20,}/);

    // inside a fresh network namespace: only loopback, no route anywhere
    const script = `
      set -e
      ip link set lo up
      if node -e 'require("node:net").connect(443, "104.16.0.35").on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))'; then echo NETWORK_REACHABLE; exit 1; fi
      cd ${app}
      VIGIL_DATA_DIR=${dir}/data/pg VIGIL_PKI_DIR=${dir}/data/pki ./node/bin/node --import tsx scripts/start.ts > ${dir}/start.log 2>&1 &
      pid=$!
      for i in $(seq 1 240); do
        if ./node/bin/node -e 'fetch("http://127.0.0.1:8080/api/health").then(r=>r.json()).then(j=>{console.log("HEALTH "+JSON.stringify(j));process.exit(j.db?0:1)}).catch(()=>process.exit(1))' 2>/dev/null; then break; fi
        sleep 1
      done
      ./node/bin/node -e 'fetch("http://127.0.0.1:8080/").then(r=>r.text()).then(t=>console.log("UI "+(t.includes("<html")?"served":"missing")))'
      kill -INT $pid; wait $pid || true
    `;
    const { stdout } = await run('unshare', ['-n', 'bash', '-c', script], { env: { ...process.env, PATH: `${join(app, 'node', 'bin')}:/usr/sbin:/usr/bin:/bin` }, maxBuffer: 16 << 20 });
    assert.doesNotMatch(stdout, /NETWORK_REACHABLE/);
    const health = /HEALTH (\{.*\})/.exec(stdout)?.[1];
    assert.ok(health, `the command centre answered /api/health: ${stdout}\n${readFileSync(join(dir, 'start.log'), 'utf8').slice(-3000)}`);
    assert.equal((JSON.parse(health) as { db: boolean }).db, true);
    assert.match(stdout, /UI served/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
