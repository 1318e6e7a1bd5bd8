import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { LineCounter, parseDocument, isNode, type Node } from 'yaml';
import { SITE_UTC_OFFSET_MS } from '../tags/world.js';
import { ScenarioFile } from './schema.js';
import type { TargetKind } from './types.js';

/** A scenario step ready to run: an absolute sim time and its target. */
export interface Step {
  atMs: number;
  kind: TargetKind;
  device: string;
  action: string;
  args: Record<string, unknown>;
  /** Where it is in the file, for errors. */
  line: number;
}

/** A parsed, checked scenario. */
export interface Scenario {
  name: string;
  seed: number;
  startMs: number;
  endMs: number;
  tags: ScenarioFile['tags'];
  steps: Step[];
}

/** A scenario file is wrong: the message names the file, line and key. */
export class ScenarioError extends Error {
  readonly code = 'VIGIL_SIM_SCENARIO';
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Read and check a scenario file (YAML, of which JSON is a subset). */
export function loadScenario(file: string): Scenario {
  return parseScenario(readFileSync(file, 'utf8'), file);
}

/**
 * Parse scenario text. Every error names the line and the key path
 * (`steps[2].at`), in English and Chinese; steps run in time order, those at
 * the same minute in file order.
 */
export function parseScenario(text: string, file = 'scenario'): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lc.linePos(e.pos[0]);
    throw new ScenarioError(`${file}:${pos.line}: ${e.message.split('\n')[0]} / YAML 语法错误`);
  }
  const data: unknown = doc.toJS();
  const lineOf = (path: Array<string | number>): number => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && (node as Node).range) return lc.linePos((node as Node).range![0]).line;
    }
    return 1;
  };
  const first = Value.Errors(ScenarioFile, data).First();
  if (first) {
    const path = first.path.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    throw new ScenarioError(`${file}:${lineOf(path)}: ${keyName(path) || '(top level)'}: ${first.message} / 字段 ${keyName(path) || '(顶层)'} 无效`);
  }
  const s = data as ScenarioFile;
  const at = (hhmm: string) => Date.parse(`${s.date}T${hhmm.length === 5 ? `${hhmm}:00` : hhmm}Z`) - SITE_UTC_OFFSET_MS;
  const startMs = at(s.start);
  const endMs = at(s.end);
  if (!Number.isFinite(startMs)) throw new ScenarioError(`${file}:${lineOf(['date'])}: date: not a real date / 日期无效`);
  if (endMs <= startMs) throw new ScenarioError(`${file}:${lineOf(['end'])}: end: must be after start / 结束时间必须晚于开始时间`);
  const steps = s.steps.map((st, i): Step => {
    const kinds = (['tag', 'gate', 'camera'] as const).filter((k) => st[k] !== undefined);
    if (kinds.length !== 1)
      throw new ScenarioError(`${file}:${lineOf(['steps', i])}: steps[${i}]: name exactly one target (tag, gate or camera) / 每一步须且只能指定一个目标`);
    const atMs = at(st.at);
    if (atMs < startMs || atMs > endMs)
      throw new ScenarioError(`${file}:${lineOf(['steps', i, 'at'])}: steps[${i}].at: ${st.at} is outside ${s.start}–${s.end} / 时间不在场景范围内`);
    const kind = kinds[0]!;
    return { atMs, kind, device: st[kind]!, action: st.do, args: st.args ?? {}, line: lineOf(['steps', i]) };
  });
  steps.sort((a, b) => a.atMs - b.atMs);
  return { name: s.name, seed: s.seed ?? 1, startMs, endMs, tags: s.tags, steps };
}

function keyName(path: Array<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
