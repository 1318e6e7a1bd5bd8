import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../scripts/stack/service-process.js';

/** Run a service entry point with `env` and return its exit code and stderr. */
function run(entry: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

const cases: Array<{ entry: string; env: Record<string, string>; names: string }> = [
  { entry: 'analytics/src/main.ts', env: { VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_MQTT_USERNAME: 'u', VIGIL_MQTT_PASSWORD: 'p' }, names: 'DATABASE_URL' },
  { entry: 'analytics/src/main.ts', env: { DATABASE_URL: 'postgres://x@127.0.0.1:1/x', VIGIL_MQTT_URL: 'http://nope', VIGIL_MQTT_USERNAME: 'u', VIGIL_MQTT_PASSWORD: 'p' }, names: 'VIGIL_MQTT_URL' },
  { entry: 'analytics/src/main.ts', env: { DATABASE_URL: 'postgres://x@127.0.0.1:1/x', VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_MQTT_USERNAME: 'u', VIGIL_MQTT_PASSWORD: 'p', VIGIL_ANALYTICS_MIN_FIXES_INSIDE: '0' }, names: 'VIGIL_ANALYTICS_MIN_FIXES_INSIDE' },
  { entry: 'device-sim/src/main.ts', env: { VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1' }, names: 'VIGIL_SIM_TAG_SECRET' },
  { entry: 'device-sim/src/main.ts', env: { VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_SIM_TAG_SECRET: 's', VIGIL_SIM_FIX_INTERVAL_MS: 'fast' }, names: 'VIGIL_SIM_FIX_INTERVAL_MS' },
  { entry: 'command-center/src/main.ts', env: { DATABASE_URL: 'postgres://x@127.0.0.1:1/x', VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_NOTIFY_LINK_SECRET: 'too-short' }, names: 'VIGIL_NOTIFY_LINK_SECRET' },
  {
    entry: 'command-center/src/main.ts',
    env: { DATABASE_URL: 'postgres://x@127.0.0.1:1/x', VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_NOTIFY_LINK_SECRET: 'x'.repeat(32), VIGIL_SMTP_HOST: 'mail.example', VIGIL_SMTP_PORT: '70000', VIGIL_SMTP_FROM: 'v@example.org' },
    names: 'VIGIL_SMTP_PORT',
  },
  { entry: 'command-center/src/main.ts', env: { DATABASE_URL: 'postgres://x@127.0.0.1:1/x', VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_SERVICE_ENDPOINTS: 'broker=127.0.0.1:9101' }, names: 'VIGIL_SERVICE_ENDPOINTS' },
  { entry: 'scripts/start.ts', env: { VIGIL_HTTP_PORT: '99999' }, names: 'VIGIL_HTTP_PORT' },
];

for (const c of cases) {
  test(`${c.entry}: a bad ${c.names} stops start-up naming it (exit 78)`, () => {
    const r = run(c.entry, c.env);
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, new RegExp(`^${c.names}:`, 'm'));
  });
}
