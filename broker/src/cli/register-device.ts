import { parseArgs } from 'node:util';
import { createPool } from '@vigil/ingest';
import { BrokerError } from '../errors.js';
import { DEVICE_KINDS, registerDevice, type DeviceKind } from '../registry.js';
import { generateSecret } from '../secrets.js';

/**
 * Register (or re-key) a device in the registry:
 *   DATABASE_URL=postgres://... tsx src/cli/register-device.ts --id tag-001 --site prison-a --kind tag [--subject s-1] [--gateway edge-1] [--secret ...]
 * Without --secret a random one is generated and printed once; only its hash is stored.
 */
const USAGE = `usage: register-device --id <device> --site <site> --kind <${DEVICE_KINDS.join('|')}> [--subject <id>] [--gateway <agent>] [--secret <secret>]
用法：register-device --id <设备> --site <场所> --kind <类型> [--subject <对象>] [--gateway <边缘代理>] [--secret <密钥>]
env: DATABASE_URL (required / 必须)\n`;

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      id: { type: 'string' },
      site: { type: 'string' },
      kind: { type: 'string' },
      subject: { type: 'string' },
      gateway: { type: 'string' },
      secret: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`, 64);
}
if (values.help) fail(USAGE, 0);
const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl === undefined || databaseUrl.trim() === '') fail('DATABASE_URL: is required but not set / 配置项 DATABASE_URL：必须设置', 78);
if (values.id === undefined || values.site === undefined || values.kind === undefined) fail(`--id, --site and --kind are required / 必须提供 --id、--site 和 --kind\n${USAGE}`, 64);
if (!(DEVICE_KINDS as readonly string[]).includes(values.kind)) fail(`--kind must be one of ${DEVICE_KINDS.join(', ')} / --kind 必须是其中之一`, 64);

const generated = values.secret === undefined;
const secret = values.secret ?? generateSecret();
const pool = createPool(databaseUrl);
try {
  await registerDevice(pool, { id: values.id, siteId: values.site, kind: values.kind as DeviceKind, subjectId: values.subject ?? null, gatewayId: values.gateway ?? null, secret });
  process.stdout.write(`registered device ${values.id} at site ${values.site} / 已登记设备 ${values.id}（场所 ${values.site}）\n`);
  // printed once, never stored in clear: the operator must copy it into the device now
  if (generated) process.stdout.write(`secret / 密钥: ${secret}\n`);
} catch (err) {
  const msg = err instanceof BrokerError ? err.message : `registration failed / 登记失败: ${(err as Error).message}`;
  process.stderr.write(`${msg}\n`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
