import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { compiledCheck } from '@vigil/schemas';
import { AgentConfigSchema, type AgentConfig } from './config-schema.js';
import type { DriverPlugin } from './driver.js';
import { ConfigError } from './errors.js';

/** `/drivers/1/config/port` -> `drivers[1].config.port` */
export function keyOf(pointer: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let key = '';
  for (const p of parts) key += /^\d+$/.test(p) ? `[${p}]` : key === '' ? p : `.${p}`;
  return key === '' ? '(config)' : key;
}

/** What is wrong, in English and Chinese, from one TypeBox error. */
function describe(e: ValueError): { en: string; zh: string } {
  const s = e.schema as Record<string, unknown>;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return { en: 'is required', zh: '必须填写' };
    case ValueErrorType.ObjectAdditionalProperties:
      return { en: 'is not a known key', zh: '不是已知的配置项' };
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return { en: `must be >= ${String(s.minimum)}`, zh: `必须 >= ${String(s.minimum)}` };
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return { en: `must be <= ${String(s.maximum)}`, zh: `必须 <= ${String(s.maximum)}` };
    case ValueErrorType.Integer:
      return { en: 'must be an integer', zh: '必须是整数' };
    case ValueErrorType.Number:
      return { en: 'must be a number', zh: '必须是数字' };
    case ValueErrorType.String:
      return { en: 'must be a string', zh: '必须是字符串' };
    case ValueErrorType.Boolean:
      return { en: 'must be true or false', zh: '必须是 true 或 false' };
    case ValueErrorType.Object:
      return { en: 'must be an object (a map of keys)', zh: '必须是对象' };
    case ValueErrorType.Array:
      return { en: 'must be a list', zh: '必须是列表' };
    case ValueErrorType.StringMinLength:
      return { en: `must be at least ${String(s.minLength)} character(s)`, zh: `长度至少为 ${String(s.minLength)}` };
    case ValueErrorType.StringMaxLength:
      return { en: `must be at most ${String(s.maxLength)} characters`, zh: `长度最多为 ${String(s.maxLength)}` };
    case ValueErrorType.StringPattern:
      return { en: `must match ${String(s.pattern)}`, zh: `必须符合 ${String(s.pattern)}` };
    case ValueErrorType.ArrayMaxItems:
      return { en: `must have at most ${String(s.maxItems)} entries`, zh: `最多 ${String(s.maxItems)} 项` };
    default:
      return { en: e.message.toLowerCase(), zh: `无效（${e.message}）` };
  }
}

/** The first error of `value` against `schema` as a ConfigError naming the key (under `prefix`). */
function firstError(schema: TSchema, value: unknown, prefix: string): ConfigError | undefined {
  const c = compiledCheck(schema);
  if (c.Check(value)) return undefined;
  const errors = [...TypeCompiler.Compile(schema).Errors(value)];
  // an unknown key or a missing one says more than the union/object error around it
  const e = errors.find((x) => x.type !== ValueErrorType.Union && x.type !== ValueErrorType.Object) ?? errors[0]!;
  const key = joinKey(prefix, keyOf(e.path));
  const d = describe(e);
  return new ConfigError(key, `${key}: ${d.en} / 配置项 ${key}：${d.zh}`);
}

function joinKey(prefix: string, key: string): string {
  if (prefix === '') return key;
  if (key === '(config)') return prefix;
  return key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`;
}

/** A validated config with each driver's `config` checked against its plugin (defaults filled in). */
export function validateConfig(raw: unknown, plugins: readonly DriverPlugin[]): AgentConfig {
  const value = Value.Default(AgentConfigSchema, Value.Clone(raw));
  const err = firstError(AgentConfigSchema, value, '');
  if (err !== undefined) throw err;
  const config = value as AgentConfig;
  const names = new Set<string>();
  config.drivers.forEach((d, i) => {
    if (names.has(d.name)) throw new ConfigError(`drivers[${i}].name`, `drivers[${i}].name: ${JSON.stringify(d.name)} is used twice / 配置项 drivers[${i}].name：名称重复`);
    names.add(d.name);
    const plugin = plugins.find((p) => p.type === d.type);
    if (plugin === undefined) {
      const known = plugins.map((p) => p.type).join(', ') || '(none)';
      throw new ConfigError(`drivers[${i}].type`, `drivers[${i}].type: unknown driver type ${JSON.stringify(d.type)} (known: ${known}) / 配置项 drivers[${i}].type：未知驱动类型`);
    }
    d.config = Value.Default(plugin.configSchema, d.config) as Record<string, unknown>;
    const bad = firstError(plugin.configSchema, d.config, `drivers[${i}].config`);
    if (bad !== undefined) throw bad;
  });
  return config;
}

/** Parse a config file's text: JSON for `.json`, YAML otherwise (YAML is a superset of JSON). */
export function parseConfigText(text: string, file: string): unknown {
  try {
    return extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    throw new ConfigError('(file)', `${file}: not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${msg} / 配置文件 ${file} 格式错误`);
  }
}

/** Read and validate the config file. */
export function loadConfigFile(file: string, plugins: readonly DriverPlugin[]): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `--config: cannot read ${file}: ${(err as Error).message} / 无法读取配置文件 ${file}`);
  }
  return validateConfig(parseConfigText(text, file), plugins);
}

/** Keys a remote `config` command may not change: they decide who the agent is and where it connects. */
export function checkRemoteChange(current: AgentConfig, next: AgentConfig): void {
  for (const key of ['site', 'agent_id'] as const) {
    if (current[key] !== next[key]) throw new ConfigError(key, `${key}: cannot be changed remotely / 配置项 ${key}：不能远程修改`);
  }
  if (JSON.stringify(current.broker) !== JSON.stringify(next.broker)) {
    const key = (Object.keys({ ...current.broker, ...next.broker }) as (keyof AgentConfig['broker'])[]).find(
      (k) => JSON.stringify(current.broker[k]) !== JSON.stringify(next.broker[k]),
    );
    throw new ConfigError(`broker.${key}`, `broker.${key}: cannot be changed remotely / 配置项 broker.${key}：不能远程修改`);
  }
}
