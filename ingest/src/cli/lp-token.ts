import { parseArgs } from 'node:util';
import { readConfigOrExit, urlEnv } from '../config.js';
import { IngestError } from '../errors.js';
import { createLpToken, listLpTokens, revokeLpTokens } from '../http/tokens.js';
import { createPool } from '../pool.js';

/**
 * Tokens for line protocol over HTTP (each writes as one registered device):
 *   DATABASE_URL=postgres://... tsx src/cli/lp-token.ts create --device env-0001   -> prints the token once
 *   tsx src/cli/lp-token.ts revoke --id 7 | --device env-0001
 *   tsx src/cli/lp-token.ts list [--device env-0001]
 * Exit codes (sysexits.h): 64 usage, 78 configuration, 65 unknown device or token, 1 other failure.
 */
const USAGE = `usage: lp-token create --device <device>
       lp-token revoke (--id <token id> | --device <device>)
       lp-token list [--device <device>]
用法：lp-token create --device <设备> | revoke (--id <令牌编号> | --device <设备>) | list [--device <设备>]
env: DATABASE_URL (required / 必须)\n`;

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { device: { type: 'string' }, id: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`, 64);
}
const { values, positionals } = parsed;
if (values.help) fail(USAGE, 0);
const command = positionals[0];
if (positionals.length !== 1 || !['create', 'revoke', 'list'].includes(command ?? '')) fail(USAGE, 64);
if (command === 'create' && !values.device) fail(`--device is required / 必须提供 --device\n${USAGE}`, 64);
if (command === 'revoke' && (values.id === undefined) === (values.device === undefined)) fail(`give --id or --device, not both / 请提供 --id 或 --device 之一\n${USAGE}`, 64);
if (values.id !== undefined && !/^\d+$/.test(values.id)) fail('--id must be a token id (a number) / --id 必须是令牌编号（数字）', 64);

const { databaseUrl } = readConfigOrExit(() => ({ databaseUrl: urlEnv('DATABASE_URL', { protocols: ['postgres:', 'postgresql:'] }) }));
const pool = createPool(databaseUrl);
try {
  if (command === 'create') {
    const t = await createLpToken(pool, values.device!);
    process.stdout.write(
      `token ${t.tokenId} for device ${t.deviceId} at site ${t.siteId}; shown once, only its hash is kept:\n` +
        `已为设备 ${t.deviceId}（场所 ${t.siteId}）创建令牌 ${t.tokenId}；令牌只显示这一次，数据库仅保存其哈希：\n${t.token}\n`,
    );
  } else if (command === 'revoke') {
    const n = await revokeLpTokens(pool, values.id !== undefined ? { tokenId: values.id } : { deviceId: values.device! });
    if (n === 0) fail('no active token matched / 没有匹配的有效令牌', 65);
    process.stdout.write(`revoked ${n} token(s) / 已吊销 ${n} 个令牌\n`);
  } else {
    for (const t of await listLpTokens(pool, values.device)) {
      const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active';
      process.stdout.write(`${t.tokenId}\t${t.deviceId}\t${t.siteId}\t${t.createdAt.toISOString()}\t${state}\n`);
    }
  }
} catch (err) {
  if (err instanceof IngestError && err.code === 'VIGIL_INGEST_LP_TOKEN') fail(`${err.message} / 设备未登记或已吊销`, 65);
  fail(`lp-token failed / 令牌操作失败: ${(err as Error).message}`, 1);
} finally {
  await pool.end();
}
