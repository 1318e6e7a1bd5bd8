import type { Statement } from 'better-sqlite3';
import type { CommandResult } from '@vigil/schemas';
import type { Db } from './store.js';

/** A command id seen before: still running (`result` null) or finished. */
export interface StoredCommand {
  device: string;
  name: string;
  result: CommandResult | null;
}

/**
 * Executed command ids and their results, on disk, so a repeated id is answered
 * again without executing twice, across restarts too. Keeps the newest `kept`.
 */
export class CommandStore {
  private readonly st: Record<'get' | 'begin' | 'finish' | 'prune', Statement>;
  private sincePrune = 0;

  constructor(
    db: Db,
    private kept: number,
  ) {
    this.st = {
      get: db.prepare('SELECT device, name, result FROM commands WHERE id = ?'),
      begin: db.prepare('INSERT INTO commands (id, device, name, result, at) VALUES (?, ?, ?, NULL, ?)'),
      finish: db.prepare('UPDATE commands SET result = ? WHERE id = ?'),
      prune: db.prepare('DELETE FROM commands WHERE id IN (SELECT id FROM commands ORDER BY at DESC, rowid DESC LIMIT -1 OFFSET ?)'),
    };
  }

  setKept(kept: number): void {
    this.kept = kept;
  }

  get(id: string): StoredCommand | undefined {
    const row = this.st.get.get(id) as { device: string; name: string; result: string | null } | undefined;
    if (row === undefined) return undefined;
    return { device: row.device, name: row.name, result: row.result === null ? null : (JSON.parse(row.result) as CommandResult) };
  }

  /** Record that `id` is about to run (durably, before it runs). */
  begin(id: string, device: string, name: string): void {
    this.st.begin.run(id, device, name, Date.now());
    if (++this.sincePrune >= 100) {
      this.sincePrune = 0;
      this.st.prune.run(this.kept);
    }
  }

  finish(result: CommandResult): void {
    this.st.finish.run(JSON.stringify(result), result.id);
  }

  /** Record a command answered without running (refused, expired) in one step. */
  record(device: string, result: CommandResult): void {
    this.begin(result.id, device, result.name);
    this.finish(result);
  }
}
