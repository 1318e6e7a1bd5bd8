import { validate, type Message } from '@vigil/schemas';
import { Engine } from '../engine.js';
import type { StoredMessage } from '../history.js';
import type { RuleSet } from '../ruleset.js';
import type { AlertDraft } from '../rules/types.js';

/** An alert that was actually raised (from the `alerts` table). */
export interface RaisedAlert {
  key: string;
  rule: string;
  raised_ts: number;
}

/** What a replay found. */
export interface ReplayResult {
  /** Every draft the rules produced (raises, folds and clears), in order. */
  drafts: AlertDraft[];
  /** Alert keys the rule set raises: the first draft of each key. */
  raised: Array<{ key: string; rule: string; ts: number }>;
  /** Compared with what was raised: only in the replay, only in reality, in both. */
  diff?: { added: string[]; removed: string[]; same: string[] };
}

/**
 * Run a stream through a rule set from `fromMs` to `toMs`: messages in
 * (time, id) order, then the clock advanced to `toMs` so timers due inside
 * the range fire. Pure and deterministic: the same input gives the same
 * output every time.
 */
export function replay(ruleSet: RuleSet, messages: readonly StoredMessage[], fromMs: number, toMs: number, actual?: readonly RaisedAlert[]): ReplayResult {
  const engine = new Engine(ruleSet);
  engine.bootstrap(fromMs);
  const drafts: AlertDraft[] = [];
  const ordered = [...messages]
    .filter((m) => m.msg.ts >= fromMs && m.msg.ts < toMs)
    .sort((a, b) => a.msg.ts - b.msg.ts || (a.msg.id < b.msg.id ? -1 : a.msg.id > b.msg.id ? 1 : 0));
  for (const { msg, site } of ordered) drafts.push(...engine.handle(msg, site));
  drafts.push(...engine.tick(toMs - 1));
  const firsts = new Map<string, { key: string; rule: string; ts: number }>();
  for (const d of drafts) if (!d.clear && !d.suppressed && !firsts.has(d.key)) firsts.set(d.key, { key: d.key, rule: d.rule, ts: d.ts });
  const raised = [...firsts.values()];
  if (!actual) return { drafts, raised };
  const mine = new Set(raised.map((r) => r.key));
  const theirs = new Set(actual.filter((a) => a.raised_ts >= fromMs && a.raised_ts < toMs).map((a) => a.key));
  const sorted = (s: Iterable<string>) => [...s].sort();
  return {
    drafts,
    raised,
    diff: {
      added: sorted([...mine].filter((k) => !theirs.has(k))),
      removed: sorted([...theirs].filter((k) => !mine.has(k))),
      same: sorted([...mine].filter((k) => theirs.has(k))),
    },
  };
}

/**
 * A recorded stream: JSON lines of `{"topic": "...", "payload": {...}}` as an
 * MQTT recorder writes them. A line that is not a valid message is an error
 * naming its line number and field; nothing is skipped silently.
 */
export function parseRecording(text: string): { ok: true; messages: StoredMessage[] } | { ok: false; line: number; message: string } {
  const messages: StoredMessage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let rec: { topic?: unknown; payload?: unknown };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch (err) {
      return { ok: false, line: i + 1, message: `line ${i + 1}: not JSON (${(err as Error).message})` };
    }
    if (typeof rec.topic !== 'string') return { ok: false, line: i + 1, message: `line ${i + 1}: "topic" must be a string` };
    const payload = Buffer.from(typeof rec.payload === 'string' ? rec.payload : JSON.stringify(rec.payload));
    const r = validate(rec.topic, payload);
    if (!r.ok) return { ok: false, line: i + 1, message: `line ${i + 1}: ${r.error.message}` };
    messages.push({ site: r.site, msg: r.message as Message });
  }
  return { ok: true, messages };
}

/** Human-readable report, English with Chinese headings. */
export function formatReport(r: ReplayResult, fromMs: number, toMs: number): string {
  const iso = (t: number) => new Date(t).toISOString();
  const out: string[] = [`Replay / 回放 ${iso(fromMs)} .. ${iso(toMs)}`, `Alerts the rule set raises / 规则产生的告警: ${r.raised.length}`];
  for (const a of r.raised) out.push(`  ${iso(a.ts)}  ${a.rule.padEnd(22)} ${a.key}`);
  if (r.diff) {
    out.push(`Difference from what was raised / 与实际告警的差异: +${r.diff.added.length} -${r.diff.removed.length} =${r.diff.same.length}`);
    for (const k of r.diff.added) out.push(`  + ${k}  (new: would be raised / 新增)`);
    for (const k of r.diff.removed) out.push(`  - ${k}  (would no longer be raised / 不再产生)`);
  }
  return `${out.join('\n')}\n`;
}
