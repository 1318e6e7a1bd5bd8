import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, intEnv, optionalEnv, requiredEnv, urlEnv } from '../src/index.js';

const isConfigError = (variable: string) => (err: unknown) => {
  assert.ok(err instanceof ConfigError);
  assert.equal(err.code, 'VIGIL_CONFIG');
  assert.equal(err.variable, variable);
  assert.ok(err.message.startsWith(`${variable}:`), err.message);
  assert.match(err.message, /配置项/);
  return true;
};

describe('env parser', () => {
  test('intEnv: default when unset or blank, value when valid, error naming the variable otherwise', () => {
    assert.equal(intEnv('N', 500, { min: 1, max: 1000 }, {}), 500);
    assert.equal(intEnv('N', 500, { min: 1, max: 1000 }, { N: ' ' }), 500);
    assert.equal(intEnv('N', 500, { min: 1, max: 1000 }, { N: '42' }), 42);
    for (const bad of ['0', '1001', '4.5', '12abc', '1e3', 'lots']) {
      assert.throws(() => intEnv('N', 500, { min: 1, max: 1000 }, { N: bad }), isConfigError('N'), bad);
    }
  });

  test('requiredEnv and optionalEnv', () => {
    assert.equal(requiredEnv('A', { A: ' x ' }), 'x');
    assert.throws(() => requiredEnv('A', {}), isConfigError('A'));
    assert.throws(() => requiredEnv('A', { A: '' }), isConfigError('A'));
    assert.equal(optionalEnv('A', 'd', {}), 'd');
    assert.equal(optionalEnv('A', undefined, {}), undefined);
  });

  test('urlEnv checks that it parses and the scheme', () => {
    const protocols = ['mqtt:', 'mqtts:'];
    assert.equal(urlEnv('U', { protocols }, { U: 'mqtt://127.0.0.1:1883' }), 'mqtt://127.0.0.1:1883');
    assert.equal(urlEnv('U', { protocols, fallback: 'mqtt://localhost' }, {}), 'mqtt://localhost');
    assert.throws(() => urlEnv('U', { protocols }, {}), isConfigError('U'));
    assert.throws(() => urlEnv('U', { protocols }, { U: 'not a url' }), isConfigError('U'));
    assert.throws(() => urlEnv('U', { protocols }, { U: 'http://x' }), isConfigError('U'));
  });
});
