import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { boolEnv, intEnv, optionalEnv, readConfigOrExit, urlEnv } from '@vigil/ingest';
import { ROOT } from './stack/service-process.js';
import { startStack, type Stack } from './stack/stack.js';

/** `npm start`: the whole of Vigil on one machine, with the demo simulator. */
const config = readConfigOrExit(() => ({
  httpPort: intEnv('VIGIL_HTTP_PORT', 8080, { min: 0, max: 65535 }),
  httpHost: optionalEnv('VIGIL_HTTP_HOST', '127.0.0.1'),
  mqttPort: intEnv('VIGIL_MQTT_PORT', 1883, { min: 0, max: 65535 }),
  mqttTlsPort: intEnv('VIGIL_MQTT_TLS_PORT', 8883, { min: 1, max: 65535 }),
  mqttWsPort: intEnv('VIGIL_MQTT_WS_PORT', 8083, { min: 1, max: 65535 }),
  pkiDir: optionalEnv('VIGIL_PKI_DIR', join(ROOT, 'data', 'pki')),
  dbPort: intEnv('VIGIL_DB_PORT', 5433, { min: 0, max: 65535 }),
  databaseUrl: process.env.DATABASE_URL ? urlEnv('DATABASE_URL', { protocols: ['postgres:', 'postgresql:'] }) : undefined,
  dataDir: optionalEnv('VIGIL_DATA_DIR', join(ROOT, 'data', 'pg')),
  simFixIntervalMs: intEnv('VIGIL_SIM_FIX_INTERVAL_MS', 3000, { min: 100, max: 3_600_000 }),
  verbose: boolEnv('VIGIL_VERBOSE', false),
  /** Two simulated cameras of the demo prison with video analytics on them. */
  cameras: boolEnv('VIGIL_DEMO_CAMERAS', true),
  metricsPorts: {
    broker: intEnv('VIGIL_BROKER_METRICS_PORT', 9101, { min: 1, max: 65535 }),
    ingest: intEnv('VIGIL_INGEST_METRICS_PORT', 9102, { min: 1, max: 65535 }),
  },
}));

const say = (line: string) => process.stdout.write(`${line}\n`);

if (!existsSync(join(ROOT, 'command-center', 'public', 'index.html'))) {
  say('Building the command centre UI / 正在构建指挥中心界面 …');
  execFileSync('npm', ['run', 'build', '-w', '@vigil/command-center'], { cwd: ROOT, stdio: 'inherit' });
}

/** Show warnings and errors always; everything with VIGIL_VERBOSE=true. */
const sink = (service: string, line: string) => {
  let level = 30;
  try {
    level = (JSON.parse(line) as { level?: number }).level ?? 30;
  } catch {
    level = 40;
  }
  if (config.verbose || level >= 40) say(`[${service}] ${line}`);
};

say('Starting Vigil / 正在启动 Vigil …');
let stack: Stack;
try {
  stack = await startStack({ ...config, simulator: true, sink });
} catch (err) {
  process.stderr.write(`Vigil did not start / 启动失败: ${(err as Error).message}\n`);
  process.exit(1);
}

say('');
say(`  Vigil command centre / 指挥中心:  ${stack.httpUrl}`);
say(`  MQTT broker / 消息代理:           ${stack.mqttUrl} (loopback)`);
say(`  MQTT over TLS / TLS 加密:         mqtts://localhost:${config.mqttTlsPort}  (CA: ${join(config.pkiDir, 'ca.pem')})`);
say(`  MQTT over WebSocket:             ws://localhost:${config.mqttWsPort}`);
say(`  Database / 数据库:                ${stack.databaseUrl.replace(/\/\/[^@]*@/, '//***@')}`);
say(`  Demo: three tags at Lingyin; tag-0001 enters the school exclusion zone in about a minute.`);
say(`  演示：灵隐的三个电子标签；tag-0001 约一分钟后进入学校禁止区域。`);
say(`  Also 24 supervised subjects (tag-0004 … tag-0027) on their daily routines, with home zones and curfews.`);
say(`  另有 24 名矫正对象（tag-0004 … tag-0027）按日常作息活动，设有住所区域和宵禁。`);
if (stack.cameras) {
  say(`  Cameras: pn-cam-perim-ne (someone walks into the perimeter strip) and pn-cam-yard (a group gathers), analysed by vigil-vision; VIGIL_DEMO_CAMERAS=false turns them off.`);
  say(`  摄像头：pn-cam-perim-ne（有人走入围墙警戒带）和 pn-cam-yard（人员聚集），由视频分析处理；设 VIGIL_DEMO_CAMERAS=false 可关闭。`);
}
if (stack.demoPeople.officerPassword !== null) {
  say(`  Demo officers / 演示民警: ${stack.demoPeople.officers.join(', ')} — password / 密码 ${stack.demoPeople.officerPassword} (shown once / 仅显示一次)`);
}
say('  Ctrl-C stops everything / 按 Ctrl-C 停止全部服务');
say('');

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  say('Stopping Vigil / 正在停止 …');
  stack.stop().then(
    () => {
      say('Stopped / 已停止');
      process.exit(0);
    },
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
