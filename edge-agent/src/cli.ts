import { parseArgs } from 'node:util';
import { startAgent, type RunningAgent } from './agent.js';
import { loadConfigFile } from './config.js';
import type { DriverPlugin } from './driver.js';
import { ConfigError } from './errors.js';
import { readCredentials } from './link.js';
import { createLogger } from './logger.js';

/** sysexits.h EX_CONFIG: a bad config file or setting. */
export const CONFIG_EXIT_CODE = 78;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `vigil-edge --config FILE [--data DIR]`: validate the config (exit 78 naming
 * the key when it is bad), start the agent, stop it on SIGINT/SIGTERM.
 * Env: VIGIL_EDGE_CONFIG, VIGIL_EDGE_DATA_DIR (default ./data/edge),
 * VIGIL_EDGE_SECRET (else broker.secret_file), VIGIL_EDGE_LOG_LEVEL.
 */
export async function runAgentCli(argv: readonly string[], env: Env, plugins: readonly DriverPlugin[]): Promise<RunningAgent> {
  let agent: RunningAgent;
  const level = (env.VIGIL_EDGE_LOG_LEVEL ?? 'info') as 'info';
  const log = createLogger('agent', level);
  try {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, data: { type: 'string' } }, strict: true });
    const file = values.config ?? env.VIGIL_EDGE_CONFIG;
    if (file === undefined || file === '') throw new ConfigError('--config', '--config: is required (or VIGIL_EDGE_CONFIG) / 必须提供 --config 配置文件');
    const config = loadConfigFile(file, plugins);
    const credentials = readCredentials(config, env.VIGIL_EDGE_SECRET);
    agent = await startAgent({ config, configFile: file, dataDir: values.data ?? env.VIGIL_EDGE_DATA_DIR ?? 'data/edge', plugins, credentials, log });
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(CONFIG_EXIT_CODE);
    }
    throw err;
  }
  // the tests and the start script wait for this exact line
  process.stdout.write(`VIGIL_EDGE_READY ${agent.config().agent_id}\n`);
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down / 正在关闭');
    void agent.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return agent;
}
