export { startEmbeddedDatabase, type EmbeddedDatabase, type EmbeddedDatabaseOptions } from './embedded-db.js';
export { createPool, type PoolOptions } from './pool.js';
export { migrate, hasTimescale, MIGRATIONS_DIR } from './migrate.js';
export { startIngest, type Ingest, type IngestOptions, type IngestStats } from './ingest.js';
export { CONFIG_EXIT_CODE, intEnv, optionalEnv, readConfigOrExit, requiredEnv, urlEnv, type Env } from './config.js';
export { ConfigError, IngestError, type IngestErrorCode } from './errors.js';
export { createLogger, type Logger } from './logger.js';
