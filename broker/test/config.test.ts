import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseBrokerConfig } from '@vigil/broker';

const DB = 'postgres://postgres@127.0.0.1:5432/postgres';

test('defaults: port 1883, host 127.0.0.1, anonymous off, no service accounts', () => {
  const c = parseBrokerConfig({ DATABASE_URL: DB });
  assert.deepEqual(c, { port: 1883, host: '127.0.0.1', databaseUrl: DB, allowAnonymous: false, secrets: { ingest: undefined, analytics: undefined, commandCenter: undefined } });
});

test('each bad setting is named in the error', () => {
  const cases: [Record<string, string>, string][] = [
    [{}, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: DB, VIGIL_MQTT_PORT: '70000' }, 'VIGIL_MQTT_PORT'],
    [{ DATABASE_URL: DB, VIGIL_MQTT_PORT: 'abc' }, 'VIGIL_MQTT_PORT'],
    [{ DATABASE_URL: DB, VIGIL_MQTT_ALLOW_ANONYMOUS: 'maybe' }, 'VIGIL_MQTT_ALLOW_ANONYMOUS'],
    [{ DATABASE_URL: DB, VIGIL_INGEST_MQTT_SECRET: 'short' }, 'VIGIL_INGEST_MQTT_SECRET'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(() => parseBrokerConfig(env), (err: unknown) => err instanceof ConfigError && err.variable === variable && err.message.includes(variable), variable);
  }
});

test('secrets and anonymous flag are read', () => {
  const c = parseBrokerConfig({ DATABASE_URL: DB, VIGIL_MQTT_PORT: '0', VIGIL_ANALYTICS_MQTT_SECRET: 'x'.repeat(20), VIGIL_MQTT_ALLOW_ANONYMOUS: 'true' });
  assert.equal(c.port, 0);
  assert.equal(c.secrets.analytics, 'x'.repeat(20));
  assert.equal(c.allowAnonymous, true);
});
