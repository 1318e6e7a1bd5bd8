import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CA_CERT_FILE, CA_KEY_FILE, createCa, issueCertificate } from '../pki.js';

/**
 * A site CA for deployments without a PKI:
 *   tsx src/cli/pki.ts init-ca --out DIR --site SITE [--days 3650]      -> DIR/ca.pem, DIR/ca-key.pem
 *   tsx src/cli/pki.ts issue --ca DIR --id DEVICE --out DIR [--days 825] -> DIR/DEVICE.pem, DIR/DEVICE-key.pem, DIR/ca.pem
 *   tsx src/cli/pki.ts issue-server --ca DIR --host HOST --out DIR [--alt NAME]... [--days 825]
 *                                                                       -> DIR/server.pem, DIR/server-key.pem, DIR/ca.pem
 * Key files are written with mode 0600.
 */
const USAGE = `usage: pki init-ca --out <dir> --site <site> [--days <n>]
       pki issue --ca <dir> --id <device> --out <dir> [--days <n>]
       pki issue-server --ca <dir> --host <host> --out <dir> [--alt <name>]... [--days <n>]
用法：pki init-ca --out <目录> --site <场所> | issue --ca <目录> --id <设备> --out <目录> | issue-server --ca <目录> --host <主机> --out <目录>\n`;

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      site: { type: 'string' },
      ca: { type: 'string' },
      id: { type: 'string' },
      host: { type: 'string' },
      alt: { type: 'string', multiple: true },
      days: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`, 64);
}
const { values, positionals } = parsed;
if (values.help) fail(USAGE, 0);
const command = positionals[0];
if (positionals.length !== 1) fail(USAGE, 64);

function days(fallback: number): number {
  if (values.days === undefined) return fallback;
  const n = /^\d+$/.test(values.days) ? Number(values.days) : Number.NaN;
  if (!(n >= 1)) fail(`--days must be a positive integer / --days 必须是正整数`, 64);
  return n;
}

function need(name: 'out' | 'site' | 'ca' | 'id' | 'host'): string {
  const v = values[name];
  if (v === undefined || v.trim() === '') fail(`--${name} is required / 必须提供 --${name}\n${USAGE}`, 64);
  return v;
}

function write(dir: string, name: string, text: string, secret: boolean): void {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: secret ? 0o600 : 0o644, flag: secret ? 'wx' : 'w' });
  process.stdout.write(`wrote ${path}\n`);
}

function readCa(dir: string): { certPem: string; keyPem: string } {
  try {
    return { certPem: readFileSync(join(dir, CA_CERT_FILE), 'utf8'), keyPem: readFileSync(join(dir, CA_KEY_FILE), 'utf8') };
  } catch (err) {
    fail(`cannot read the CA in ${dir}: ${(err as Error).message} / 无法读取 CA`, 66);
  }
}

try {
  if (command === 'init-ca') {
    const out = need('out');
    const site = need('site');
    const ca = createCa({ commonName: `Vigil site ${site} CA`, days: days(3650) });
    mkdirSync(out, { recursive: true, mode: 0o700 });
    write(out, CA_KEY_FILE, ca.keyPem, true);
    write(out, CA_CERT_FILE, ca.certPem, false);
  } else if (command === 'issue' || command === 'issue-server') {
    const ca = readCa(need('ca'));
    const out = need('out');
    const server = command === 'issue-server';
    const name = server ? need('host') : need('id');
    const bundle = issueCertificate(ca, server ? { commonName: name, days: days(825), serverAltNames: [name, ...(values.alt ?? [])] } : { commonName: name, days: days(825) });
    const base = server ? 'server' : name;
    mkdirSync(out, { recursive: true, mode: 0o700 });
    write(out, `${base}-key.pem`, bundle.keyPem, true);
    write(out, `${base}.pem`, bundle.certPem, false);
    write(out, CA_CERT_FILE, ca.certPem, false);
  } else {
    fail(USAGE, 64);
  }
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  // key files are never overwritten: a lost key must be replaced on purpose
  if (e.code === 'EEXIST') fail(`refusing to overwrite ${e.path ?? 'an existing key'} / 不覆盖已有密钥文件`, 73);
  fail(`pki failed / 证书操作失败: ${e.message}`, 1);
}
