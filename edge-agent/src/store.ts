import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EdgeError } from './errors.js';

export type Db = Database.Database;

/**
 * Open (or create) the agent's SQLite file: the message queue, the per-device
 * `seq` counters and the executed-command window, in one database so a message
 * and its `seq` commit together.
 *
 * WAL with `synchronous = FULL`: every commit is fsynced before it returns, so a
 * message whose `emit()` resolved survives a SIGKILL and a power cut. Emits are
 * group-committed (one transaction per event-loop turn), which keeps the fsync
 * cost per message small.
 */
export function openStore(file: string): Db {
  mkdirSync(dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new EdgeError('VIGIL_EDGE_QUEUE', `cannot open the queue database ${file}: ${(err as Error).message} / 无法打开队列数据库 ${file}`, { cause: err });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    -- AUTOINCREMENT: ids never go back, even when the queue empties, so the forwarder's cursor stays valid
    CREATE TABLE IF NOT EXISTS messages (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      device TEXT NOT NULL,
      priority INTEGER NOT NULL,
      topic TEXT NOT NULL,
      payload TEXT NOT NULL,
      bytes INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS messages_drop_order ON messages (priority, id);
    CREATE TABLE IF NOT EXISTS seqs (device TEXT PRIMARY KEY, next INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS commands (
      id TEXT PRIMARY KEY,
      device TEXT NOT NULL,
      name TEXT NOT NULL,
      result TEXT,
      at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS commands_at ON commands (at);
  `);
  return db;
}
