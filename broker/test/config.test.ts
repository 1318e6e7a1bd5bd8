import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseBrokerConfig, readTlsFiles } from '@vigil/broker';

const DB = 'postgres://postgres@127.0.0.1:5432/postgres';

test('defaults: port 1883, host 127.0.0.1, anonymous off, no service accounts', () => {
  const c = parseBrokerConfig({ DATABASE_URL: DB });
  assert.deepEqual(c, { port: 1883, host: '127.0.0.1', databaseUrl: DB, allowAnonymous: false, secrets: { ingest: undefined, analytics: undefined, commandCenter: undefined }, persistence: { kind: 'memory' } });
});

test('VIGIL_BROKER_PERSISTENCE: memory or sqlite:FILE, and not sqlite with VIGIL_REDIS_URL', () => {
  assert.deepEqual(parseBrokerConfig({ DATABASE_URL: DB, VIGIL_BROKER_PERSISTENCE: 'memory' }).persistence, { kind: 'memory' });
  assert.deepEqual(parseBrokerConfig({ DATABASE_URL: DB, VIGIL_BROKER_PERSISTENCE: 'sqlite:/var/lib/vigil/broker.sqlite' }).persistence, { kind: 'sqlite', file: '/var/lib/vigil/broker.sqlite' });
  for (const env of [{ VIGIL_BROKER_PERSISTENCE: 'sqlite:' }, { VIGIL_BROKER_PERSISTENCE: 'redis' }, { VIGIL_BROKER_PERSISTENCE: 'sqlite:/x.db', VIGIL_REDIS_URL: 'redis://127.0.0.1:6379' }]) {
    assert.throws(() => parseBrokerConfig({ DATABASE_URL: DB, ...env }), (err: unknown) => err instanceof ConfigError && err.variable === 'VIGIL_BROKER_PERSISTENCE', JSON.stringify(env));
  }
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

test('TLS and WebSocket listeners are off unless their ports are set; TLS then needs cert, key and CA files', () => {
  const tls = { VIGIL_MQTT_TLS_PORT: '8883', VIGIL_MQTT_TLS_CERT: '/etc/vigil/server.pem', VIGIL_MQTT_TLS_KEY: '/etc/vigil/server-key.pem', VIGIL_MQTT_TLS_CA: '/etc/vigil/ca.pem' };
  const c = parseBrokerConfig({ DATABASE_URL: DB, ...tls, VIGIL_MQTT_WS_PORT: '8083' });
  assert.deepEqual(c.tls, { port: 8883, certFile: '/etc/vigil/server.pem', keyFile: '/etc/vigil/server-key.pem', caFile: '/etc/vigil/ca.pem' });
  assert.equal(c.wsPort, 8083);
  const cases: [Record<string, string>, string][] = [
    [{ ...tls, VIGIL_MQTT_TLS_PORT: 'x' }, 'VIGIL_MQTT_TLS_PORT'],
    [{ ...tls, VIGIL_MQTT_TLS_CERT: '' }, 'VIGIL_MQTT_TLS_CERT'],
    [{ ...tls, VIGIL_MQTT_TLS_KEY: '' }, 'VIGIL_MQTT_TLS_KEY'],
    [{ ...tls, VIGIL_MQTT_TLS_CA: '' }, 'VIGIL_MQTT_TLS_CA'],
    [{ VIGIL_MQTT_WS_PORT: '99999' }, 'VIGIL_MQTT_WS_PORT'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(() => parseBrokerConfig({ DATABASE_URL: DB, ...env }), (err: unknown) => err instanceof ConfigError && err.variable === variable, variable);
  }
});

test('readTlsFiles names the variable and the file it cannot read', () => {
  assert.throws(
    () => readTlsFiles({ port: 0, certFile: '/nonexistent/server.pem', keyFile: '/nonexistent/key.pem', caFile: '/nonexistent/ca.pem' }),
    (err: unknown) => err instanceof ConfigError && err.variable === 'VIGIL_MQTT_TLS_CERT' && err.message.includes('/nonexistent/server.pem'),
  );
});
