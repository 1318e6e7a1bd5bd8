import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { prisonGateLayout } from '../sites/prison.js';
import { startGateServer } from './server.js';

const USAGE = `usage / 用法:
  vigil-sim gates [--port N] [--pki DIR] [--user NAME] [--password P] [--seed N] [--speed X] [--no-traffic] [--secure-only]
    --port       OPC UA port (default 4840; 0 = any free port) / 端口
    --pki        folder of the server's certificate and trust lists (default ./data/opcua-gates) / 证书目录
    --user       user name clients log in with (default operator) / 用户名
    --password   its password (or VIGIL_SIM_GATES_PASSWORD; at least 12 characters) / 密码
    --seed       seed of the scripted people (default 1) / 随机种子
    --speed      simulated seconds per real second (default 1) / 时钟倍速
    --no-traffic no scripted people, only injected events / 不模拟人员通行
    --secure-only offer only Basic256Sha256 Sign / SignAndEncrypt, not None / 仅提供加密端点`;

const bad = (what: string, why: string): never => {
  process.stderr.write(`vigil-sim gates: ${what}: ${why} / 设置 ${what} 无效\n${USAGE}\n`);
  process.exit(78);
};

/**
 * `vigil-sim gates`: run the demo prison's door controller as an OPC UA
 * server until SIGINT/SIGTERM. Prints `VIGIL_SIM_GATES_READY <endpoint>` once
 * listening. A bad setting exits 78 naming it.
 */
export async function runGatesCli(argv: string[]): Promise<never> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        pki: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        seed: { type: 'string' },
        speed: { type: 'string' },
        'no-traffic': { type: 'boolean' },
        'secure-only': { type: 'boolean' },
      },
    }));
  } catch (err) {
    return bad('arguments', (err as Error).message);
  }
  const int = (name: string, v: string | undefined, dflt: number, min: number, max: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) return bad(`--${name}`, `must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  const port = int('port', values.port, 4840, 0, 65535);
  const seed = int('seed', values.seed, 1, 0, 2 ** 32 - 1);
  const speed = int('speed', values.speed, 1, 0, 100_000);
  const password = values.password ?? process.env.VIGIL_SIM_GATES_PASSWORD ?? bad('--password', 'is required (or VIGIL_SIM_GATES_PASSWORD)');
  if (password.length < 12) bad('--password', 'must be at least 12 characters');
  const username = values.user ?? 'operator';
  const log = pino({ name: 'device-sim:gates' });
  const server = await startGateServer({
    layout: prisonGateLayout(),
    port,
    pkiDir: values.pki ?? join(process.cwd(), 'data', 'opcua-gates'),
    users: [{ username, password }],
    allowUnsecured: !values['secure-only'],
    seed,
    speed,
    traffic: !values['no-traffic'],
    log,
  });
  process.stdout.write(`VIGIL_SIM_GATES_READY opc.tcp://localhost:${server.port}\n`);
  return new Promise<never>(() => {
    const stop = () => {
      server.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
