import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { createCa, issueCertificate } from '@vigil/broker';

const CLI = fileURLToPath(new URL('../src/cli/pki.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-pki-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('createCa makes a self-signed CA; issueCertificate signs device and server certificates with it', () => {
  const ca = createCa({ commonName: 'Vigil site prison-a CA', days: 30 });
  const caCert = new X509Certificate(ca.certPem);
  assert.equal(caCert.ca, true);
  assert.ok(caCert.verify(caCert.publicKey));
  assert.match(caCert.subject, /CN=Vigil site prison-a CA/);

  const device = issueCertificate(ca, { commonName: 'tag-1', days: 10 });
  const devCert = new X509Certificate(device.certPem);
  assert.equal(devCert.ca, false);
  assert.ok(devCert.verify(caCert.publicKey));
  assert.ok(devCert.checkIssued(caCert));
  assert.match(devCert.subject, /CN=tag-1/);
  assert.deepEqual(devCert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.ok(devCert.checkPrivateKey(createPrivateKey(device.keyPem)));
  const days = (Date.parse(devCert.validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 9.9 && days <= 10.01, String(days));

  const server = issueCertificate(ca, { commonName: 'localhost', days: 10, serverAltNames: ['localhost', '127.0.0.1'] });
  const srvCert = new X509Certificate(server.certPem);
  assert.ok(srvCert.verify(caCert.publicKey));
  assert.equal(srvCert.checkHost('localhost'), 'localhost');
  assert.equal(srvCert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.deepEqual(srvCert.keyUsage, ['1.3.6.1.5.5.7.3.1']);

  const other = createCa({ commonName: 'elsewhere', days: 1 });
  assert.equal(devCert.verify(new X509Certificate(other.certPem).publicKey), false);
  assert.throws(() => createCa({ commonName: 'x', days: 0 }), RangeError);
});

function cli(...args: string[]) {
  const r = spawnSync(TSX, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('the pki CLI writes a CA, a device and a server certificate, keys with mode 0600', () => {
  const caDir = join(dir, 'ca');
  const devDir = join(dir, 'dev');
  const srvDir = join(dir, 'srv');
  assert.equal(cli('init-ca', '--out', caDir, '--site', 'prison-a').code, 0);
  assert.equal(cli('issue', '--ca', caDir, '--id', 'tag-7', '--out', devDir).code, 0);
  assert.equal(cli('issue-server', '--ca', caDir, '--host', 'localhost', '--out', srvDir).code, 0);
  for (const key of [join(caDir, 'ca-key.pem'), join(devDir, 'tag-7-key.pem'), join(srvDir, 'server-key.pem')]) {
    assert.equal(statSync(key).mode & 0o777, 0o600, key);
  }
  const caCert = new X509Certificate(readFileSync(join(caDir, 'ca.pem')));
  assert.match(caCert.subject, /prison-a/);
  const dev = new X509Certificate(readFileSync(join(devDir, 'tag-7.pem')));
  assert.match(dev.subject, /CN=tag-7/);
  assert.ok(dev.checkIssued(caCert) && dev.verify(caCert.publicKey));
  const srv = new X509Certificate(readFileSync(join(srvDir, 'server.pem')));
  assert.equal(srv.checkHost('localhost'), 'localhost');
  assert.equal(readFileSync(join(devDir, 'ca.pem'), 'utf8'), readFileSync(join(caDir, 'ca.pem'), 'utf8'));
  // an existing key is never overwritten
  assert.equal(cli('init-ca', '--out', caDir, '--site', 'prison-a').code, 73);
  assert.equal(cli('issue', '--ca', caDir, '--out', devDir).code, 64);
  assert.equal(cli('bogus').code, 64);
});
