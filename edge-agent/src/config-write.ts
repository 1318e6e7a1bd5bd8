import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { extname } from 'node:path';
import { stringify } from 'yaml';
import type { AgentConfig } from './config-schema.js';

/** Replace the config file with `config` atomically (write, fsync, rename), in the file's own format. */
export function writeConfigFile(file: string, config: AgentConfig): void {
  const text = extname(file).toLowerCase() === '.json' ? `${JSON.stringify(config, null, 2)}\n` : `# written by the agent on a remote config command\n${stringify(config)}`;
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
