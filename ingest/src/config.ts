import { ConfigError } from './errors.js';

/**
 * The environment to read settings from. Each helper takes it last and
 * defaults to `process.env`; only entry points (`main.ts`) should call them.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** sysexits.h EX_CONFIG: what `main.ts` exits with when a setting is bad. */
export const CONFIG_EXIT_CODE = 78;

const bilingual = (name: string, en: string, zh: string): string => `${name}: ${en} / 配置项 ${name}：${zh}`;

/** The value of `name`, or a ConfigError if it is unset or empty. */
export function requiredEnv(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(name, bilingual(name, 'is required but not set', '必须设置'));
  }
  return value.trim();
}

/** The value of `name`, or `fallback` when it is unset or empty. */
export function optionalEnv(name: string, fallback: string, env?: Env): string;
export function optionalEnv(name: string, fallback?: undefined, env?: Env): string | undefined;
export function optionalEnv(name: string, fallback?: string, env: Env = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

/** A decimal integer setting within [min, max], or `fallback` when unset. */
export function intEnv(name: string, fallback: number, range: { min?: number; max?: number } = {}, env: Env = process.env): number {
  const raw = optionalEnv(name, undefined, env);
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (raw === undefined) return fallback;
  const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(
      name,
      bilingual(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`, `必须是 ${min} 到 ${max} 之间的整数，当前为 ${JSON.stringify(raw)}`),
    );
  }
  return value;
}

/** A `true`/`false` setting, or `fallback` when unset; anything else stops start-up naming it. */
export function boolEnv(name: string, fallback: boolean, env: Env = process.env): boolean {
  const raw = optionalEnv(name, undefined, env);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigError(name, bilingual(name, `must be true or false, got ${JSON.stringify(raw)}`, `必须为 true 或 false，当前为 ${JSON.stringify(raw)}`));
}

/**
 * A URL setting whose scheme is one of `opts.protocols` (e.g. `['mqtt:', 'mqtts:']`,
 * any when omitted); required unless `opts.fallback` is given.
 */
export function urlEnv(name: string, opts: { protocols?: readonly string[]; fallback?: string } = {}, env: Env = process.env): string {
  const { protocols, fallback } = opts;
  const raw = fallback === undefined ? requiredEnv(name, env) : optionalEnv(name, fallback, env);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, bilingual(name, `is not a valid URL: ${JSON.stringify(raw)}`, `不是有效的 URL：${JSON.stringify(raw)}`));
  }
  if (protocols && !protocols.includes(url.protocol)) {
    throw new ConfigError(
      name,
      bilingual(name, `must use ${protocols.join(' or ')}, got ${url.protocol}`, `协议必须是 ${protocols.join(' 或 ')}，当前为 ${url.protocol}`),
    );
  }
  return raw;
}

/**
 * Run `read` and return its settings; on a ConfigError write the message to
 * stderr and exit with CONFIG_EXIT_CODE, so a bad setting stops start-up.
 */
export function readConfigOrExit<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(CONFIG_EXIT_CODE);
    }
    throw err;
  }
}
