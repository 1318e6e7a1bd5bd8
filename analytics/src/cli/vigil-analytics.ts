import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CONFIG_EXIT_CODE, createPool } from '@vigil/ingest';
import { readStoredStream, type StoredMessage } from '../history.js';
import { loadRuleSet } from '../rule-set-store.js';
import { parseRuleSet, type RuleSet } from '../ruleset.js';
import { formatReport, parseRecording, replay, type RaisedAlert } from './replay.js';

const USAGE = `usage: vigil-analytics replay --from T1 --to T2 [--rules FILE.json] [--input RECORDING.jsonl] [--json]
  T1, T2      ISO 8601 time or ms since the epoch
  --rules     rule set to try (JSON: zones, doors, areas, victims, defaults); default: the registry's
  --input     a recorded stream (JSON lines {"topic","payload"}); default: the stored stream (DATABASE_URL)
  DATABASE_URL  the database (stored stream, registry rules, and the alerts actually raised to compare with)
用法：vigil-analytics replay --from 开始 --to 结束 [--rules 规则文件] [--input 录制文件] [--json]
`;

function fail(message: string, code = CONFIG_EXIT_CODE): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function parseTime(name: string, v: string | undefined): number {
  if (v === undefined) fail(`--${name} is required / 缺少 --${name}\n${USAGE}`);
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) fail(`--${name}: not a time: ${JSON.stringify(v)} / --${name} 不是有效时间`);
  return t;
}

const [command, ...rest] = process.argv.slice(2);
if (command !== 'replay') fail(USAGE);
let args;
try {
  args = parseArgs({ args: rest, options: { from: { type: 'string' }, to: { type: 'string' }, rules: { type: 'string' }, input: { type: 'string' }, json: { type: 'boolean' } } }).values;
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
const from = parseTime('from', args.from);
const to = parseTime('to', args.to);
if (to <= from) fail('--to must be after --from / --to 必须晚于 --from');
const dbUrl = process.env.DATABASE_URL;
const pool = dbUrl ? createPool(dbUrl) : undefined;
if (!pool && (!args.rules || !args.input)) fail('DATABASE_URL is required unless both --rules and --input are given / 未同时给出 --rules 和 --input 时必须设置 DATABASE_URL');

try {
  let ruleSet: RuleSet;
  if (args.rules) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(args.rules, 'utf8'));
    } catch (err) {
      fail(`--rules ${args.rules}: ${(err as Error).message}`);
    }
    const parsed = parseRuleSet(raw);
    if (!parsed.ok) fail(`--rules ${args.rules}: ${parsed.message}`);
    ruleSet = parsed.ruleSet;
  } else ruleSet = await loadRuleSet(pool!);

  let messages: StoredMessage[];
  if (args.input) {
    const rec = parseRecording(readFileSync(args.input, 'utf8'));
    if (!rec.ok) fail(`--input ${args.input}: ${rec.message}`);
    messages = rec.messages;
  } else messages = (await readStoredStream(pool!, from, to)).messages;

  let actual: RaisedAlert[] | undefined;
  if (pool) {
    const { rows } = await pool.query<{ key: string; rule: string; raised_at: Date }>(`SELECT key, rule, raised_at FROM alerts WHERE raised_at >= $1 AND raised_at < $2`, [new Date(from), new Date(to)]);
    actual = rows.map((r) => ({ key: r.key, rule: r.rule, raised_ts: r.raised_at.getTime() }));
  }
  const result = replay(ruleSet, messages, from, to, actual);
  process.stdout.write(args.json ? `${JSON.stringify({ raised: result.raised, diff: result.diff, drafts: result.drafts })}\n` : formatReport(result, from, to));
} finally {
  await pool?.end();
}
