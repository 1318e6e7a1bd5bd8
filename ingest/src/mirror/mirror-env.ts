import { optionalEnv, requiredEnv, urlEnv, type Env } from '../config.js';
import { ConfigError } from '../errors.js';
import type { InfluxMirrorOptions } from './influx-mirror.js';

/**
 * The InfluxDB mirror's settings, or undefined when `VIGIL_INGEST_MIRROR_URL`
 * is unset (no mirror): `_API` v2 (default) or v1, `_BUCKET` (v1: the
 * database), `_ORG`, `_TOKEN` (v1: `user:password`). Throws a ConfigError naming a bad one.
 */
export function mirrorEnv(env: Env = process.env): Omit<InfluxMirrorOptions, 'logger'> | undefined {
  if (optionalEnv('VIGIL_INGEST_MIRROR_URL', undefined, env) === undefined) return undefined;
  const url = urlEnv('VIGIL_INGEST_MIRROR_URL', { protocols: ['http:', 'https:'] }, env);
  const api = optionalEnv('VIGIL_INGEST_MIRROR_API', 'v2', env);
  if (api !== 'v1' && api !== 'v2') {
    const name = 'VIGIL_INGEST_MIRROR_API';
    throw new ConfigError(name, `${name}: must be v1 or v2, got ${JSON.stringify(api)} / 配置项 ${name}：必须是 v1 或 v2，当前为 ${JSON.stringify(api)}`);
  }
  return {
    url,
    api,
    bucket: requiredEnv('VIGIL_INGEST_MIRROR_BUCKET', env),
    org: optionalEnv('VIGIL_INGEST_MIRROR_ORG', undefined, env),
    token: optionalEnv('VIGIL_INGEST_MIRROR_TOKEN', undefined, env),
  };
}
