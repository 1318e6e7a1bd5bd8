import { intEnv, optionalEnv, readConfigOrExit } from './config.js';
import { startEmbeddedDatabase } from './embedded-db.js';
import { createLogger } from './logger.js';
import { hasTimescale, migrate } from './migrate.js';
import { createPool } from './pool.js';

const log = createLogger('embedded-db');

const config = readConfigOrExit(() => ({
  port: intEnv('VIGIL_DB_PORT', 5433, { min: 0, max: 65535 }),
  dataDir: optionalEnv('VIGIL_DATA_DIR', './data/pg'),
  memoryLogS: intEnv('VIGIL_DB_MEMORY_LOG_S', 300, { min: 0, max: 86_400 }),
}));

const db = await startEmbeddedDatabase({ port: config.port, dataDir: config.dataDir, host: '127.0.0.1' });
const pool = createPool(db.url);
const { applied } = await migrate(pool);
const timescale = await hasTimescale(pool);
// Release the single embedded connection before announcing readiness, so the next process gets it at once.
await pool.end();
log.info({ url: db.url, dataDir: config.dataDir, applied, timescale }, 'embedded database ready');
// The start script waits for this exact line.
process.stdout.write(`VIGIL_DB_READY ${db.url}\n`);

// Where the memory is, every VIGIL_DB_MEMORY_LOG_S seconds (0: never): the WebAssembly heap can only grow.
if (config.memoryLogS > 0) {
  setInterval(() => {
    void db.memory().then((m) => log.info({ memory: m }, 'embedded database memory'));
  }, config.memoryLogS * 1000).unref();
}

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'closing embedded database');
  // PGlite's close flushes the data directory to disk.
  await db.close();
  process.exit(0);
};
process.on('SIGINT', (s) => void stop(s));
process.on('SIGTERM', (s) => void stop(s));
