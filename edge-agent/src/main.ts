import { runAgentCli } from './cli.js';
import { PLUGINS } from './plugins.js';

await runAgentCli(process.argv.slice(2), process.env, PLUGINS);
