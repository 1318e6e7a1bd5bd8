import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import Database from 'better-sqlite3';
import memoryPersistenceModule from 'aedes-persistence';
import { BrokerError } from './errors.js';
import { indexOutgoing, type OutgoingJournal, type QueuedPacket } from './outgoing-index.js';

// aedes-persistence is CommonJS: at run time the default import is its factory (see broker.ts)
const memoryPersistence = memoryPersistenceModule as unknown as () => object;

/** The session state a durable broker keeps: an Aedes persistence and how to let go of its file. */
export interface SqlitePersistence {
  /** Aedes' in-memory persistence (outgoing queues indexed), every change of session state also written to the file. */
  readonly persistence: object;
  /** Write what is pending and close the file; call after `aedes.close()`. */
  close(): Promise<void>;
}

type Client = { id: string };
type Sub = { topic: string; qos: number; [k: string]: unknown };
type Packet = { topic: string; payload: Buffer; messageId?: number; [k: string]: unknown };

/** The memory persistence's methods that change durable state (promise style, as Aedes 1.x calls them). */
interface Store {
  addSubscriptions(client: Client, subs: Sub[]): Promise<void>;
  removeSubscriptions(client: Client, topics: string[]): Promise<void>;
  cleanSubscriptions(client: Client): Promise<void>;
  storeRetained(packet: Packet): Promise<void>;
  outgoingUpdate(client: Client, packet: { cmd?: string }): Promise<void>;
  incomingStorePacket(client: Client, packet: Packet): Promise<void>;
  incomingDelPacket(client: Client, packet: Packet): Promise<void>;
  cleanIncoming(client: Client): Promise<void>;
  destroy(cb?: () => void): unknown;
}

const SCHEMA_VERSION = 1;
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, topic TEXT NOT NULL, sub BLOB NOT NULL, PRIMARY KEY (client_id, topic)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS outgoing (client_id TEXT NOT NULL, seq INTEGER NOT NULL, message_id INTEGER, packet BLOB NOT NULL, PRIMARY KEY (client_id, seq)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, packet BLOB NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS incoming (client_id TEXT NOT NULL, message_id INTEGER NOT NULL, packet BLOB NOT NULL, PRIMARY KEY (client_id, message_id)) WITHOUT ROWID;
`;

/** A packet as stored: every own field (payload and MQTT 5 properties included) but the message id, which has its own column. */
const pack = (packet: object): Buffer => serialize({ ...packet, messageId: undefined });
const unpack = <T>(blob: Buffer): T => deserialize(blob) as T;

/**
 * Aedes' in-memory persistence, kept in step with an SQLite file and started
 * from it, so a broker killed at any point restarts with the persistent
 * sessions (subscriptions and queued QoS 1/2 messages), retained messages and
 * unfinished incoming QoS 2 packets it had. A change resolves once its
 * transaction has committed: changes of one event-loop turn share one
 * transaction (WAL, synchronous=NORMAL: a commit survives the process being
 * killed; a power cut may take the last commits). Wills are not kept: the
 * will of a client connected when the broker died is not published.
 * Reads stay in memory. One broker process per file (the file is locked).
 */
export function openSqlitePersistence(file: string): SqlitePersistence {
  const db = openFile(file);
  const stmt = {
    subPut: db.prepare('INSERT OR REPLACE INTO subscriptions (client_id, topic, sub) VALUES (?, ?, ?)'),
    subDel: db.prepare('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?'),
    subClean: db.prepare('DELETE FROM subscriptions WHERE client_id = ?'),
    outAdd: db.prepare('INSERT OR REPLACE INTO outgoing (client_id, seq, message_id, packet) VALUES (?, ?, ?, ?)'),
    outId: db.prepare('UPDATE outgoing SET message_id = ? WHERE client_id = ? AND seq = ?'),
    outReplace: db.prepare('UPDATE outgoing SET message_id = ?, packet = ? WHERE client_id = ? AND seq = ?'),
    outDel: db.prepare('DELETE FROM outgoing WHERE client_id = ? AND seq = ?'),
    retPut: db.prepare('INSERT OR REPLACE INTO retained (topic, packet) VALUES (?, ?)'),
    retDel: db.prepare('DELETE FROM retained WHERE topic = ?'),
    inPut: db.prepare('INSERT OR REPLACE INTO incoming (client_id, message_id, packet) VALUES (?, ?, ?)'),
    inDel: db.prepare('DELETE FROM incoming WHERE client_id = ? AND message_id = ?'),
    inClean: db.prepare('DELETE FROM incoming WHERE client_id = ?'),
  };
  const writer = batchWriter(db);
  const { run } = writer;

  const journal: OutgoingJournal = {
    added: (c, seq, p) => run(() => stmt.outAdd.run(c, seq, p.messageId ?? null, pack(p))),
    idSet: (c, seq, id) => run(() => stmt.outId.run(id ?? null, c, seq)),
    replaced: (c, seq, p) => run(() => stmt.outReplace.run(p.messageId ?? null, pack(p), c, seq)),
    removed: (c, seq) => run(() => stmt.outDel.run(c, seq)),
    flushed: writer.flushed,
  };
  const restore = db
    .prepare<[], { client_id: string; seq: number; message_id: number | null; packet: Buffer }>('SELECT client_id, seq, message_id, packet FROM outgoing ORDER BY client_id, seq')
    .all()
    .map((r) => ({ clientId: r.client_id, seq: r.seq, packet: restoredPacket(unpack<QueuedPacket & { cmd?: string; qos?: number }>(r.packet), r.message_id) }));
  const persistence = indexOutgoing(memoryPersistence(), { journal, restore });
  const store = persistence as unknown as Store;
  const inner = {
    addSubscriptions: store.addSubscriptions.bind(store),
    removeSubscriptions: store.removeSubscriptions.bind(store),
    cleanSubscriptions: store.cleanSubscriptions.bind(store),
    storeRetained: store.storeRetained.bind(store),
    outgoingUpdate: store.outgoingUpdate.bind(store),
    incomingStorePacket: store.incomingStorePacket.bind(store),
    incomingDelPacket: store.incomingDelPacket.bind(store),
    cleanIncoming: store.cleanIncoming.bind(store),
    destroy: store.destroy.bind(store),
  };
  let restoring = true;
  const durably = async (write: () => void) => {
    if (restoring) return;
    run(write);
    await writer.flushed();
  };
  store.addSubscriptions = async (client, subs) => {
    await inner.addSubscriptions(client, subs);
    await durably(() => subs.forEach(({ topic, ...sub }) => stmt.subPut.run(client.id, topic, serialize(sub))));
  };
  store.removeSubscriptions = async (client, topics) => {
    await inner.removeSubscriptions(client, topics);
    await durably(() => topics.forEach((topic) => stmt.subDel.run(client.id, topic)));
  };
  store.cleanSubscriptions = async (client) => {
    await inner.cleanSubscriptions(client);
    await durably(() => stmt.subClean.run(client.id));
  };
  // A session reconnecting under load: Aedes subscribes it, then (a few turns later, longer here as an
  // enqueue waits for its commit) reads its queue and sends each packet, updating it first. A message
  // queued in between is both sent live and in that read; once the live copy is acknowledged, the
  // update of the other finds nothing, and Aedes drops the connection ("no such packet"), which under
  // load recurs at every reconnect. Such a PUBLISH was delivered already: send it again (QoS 1 may
  // repeat), keep the session.
  store.outgoingUpdate = async (client, packet) => {
    try {
      await inner.outgoingUpdate(client, packet);
    } catch (err) {
      if (packet.cmd !== 'publish' || (err as Error).message !== 'no such packet') throw err;
    }
  };
  store.storeRetained = async (packet) => {
    await inner.storeRetained(packet);
    await durably(() => (packet.payload.length === 0 ? stmt.retDel.run(packet.topic) : stmt.retPut.run(packet.topic, pack(packet))));
  };
  store.incomingStorePacket = async (client, packet) => {
    await inner.incomingStorePacket(client, packet);
    await durably(() => stmt.inPut.run(client.id, packet.messageId, pack(packet)));
  };
  store.incomingDelPacket = async (client, packet) => {
    await inner.incomingDelPacket(client, packet);
    await durably(() => stmt.inDel.run(client.id, packet.messageId));
  };
  store.cleanIncoming = async (client) => {
    await inner.cleanIncoming(client);
    await durably(() => stmt.inClean.run(client.id));
  };

  // put back the rest of the stored state through the memory persistence's own methods (not written again)
  const ready = (async () => {
    const subs = new Map<string, Sub[]>();
    for (const r of db.prepare<[], { client_id: string; topic: string; sub: Buffer }>('SELECT client_id, topic, sub FROM subscriptions').all()) {
      const list = subs.get(r.client_id) ?? [];
      list.push({ ...unpack<{ qos: number }>(r.sub), topic: r.topic });
      subs.set(r.client_id, list);
    }
    for (const [id, list] of subs) await store.addSubscriptions({ id }, list);
    for (const r of db.prepare<[], { packet: Buffer }>('SELECT packet FROM retained').all()) await store.storeRetained(unpack<Packet>(r.packet));
    for (const r of db.prepare<[], { client_id: string; message_id: number; packet: Buffer }>('SELECT client_id, message_id, packet FROM incoming').all()) {
      await store.incomingStorePacket({ id: r.client_id }, { ...unpack<Packet>(r.packet), messageId: r.message_id });
    }
    restoring = false;
  })();
  // Aedes calls setup() before anything else: let it wait for the restore
  const withSetup = persistence as unknown as { setup(broker: unknown): Promise<void> };
  const setup = withSetup.setup.bind(withSetup);
  withSetup.setup = async (broker) => {
    await ready;
    await setup(broker);
  };

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await ready.catch(() => undefined);
      await writer.flushed().catch(() => undefined);
      if (db.open) db.close();
    })());
  store.destroy = (cb) => {
    const done = (async () => {
      await close();
      await inner.destroy();
    })();
    if (cb) void done.finally(cb);
    else return done;
    return undefined;
  };
  return { persistence, close };
}

/**
 * A queued packet as it goes back into the queue. A QoS 1 PUBLISH that had been sent loses its packet
 * id and is marked DUP: Aedes resends a queued packet under the id it has, while the reconnecting
 * client's new connection numbers new packets from a random start, so an old id still in the queue
 * can be given to a new packet too; a PUBACK for one would then clear the other (the first in the
 * queue), which is never delivered. Under a new id it is just sent again (QoS 1 may repeat a message).
 * QoS 2 packets and PUBRELs keep their ids: the client holds its own state under them.
 */
function restoredPacket(packet: QueuedPacket & { cmd?: string; qos?: number; dup?: boolean }, messageId: number | null): QueuedPacket & { dup?: boolean } {
  if (messageId === null) return { ...packet, messageId: undefined };
  if (packet.cmd === 'publish' && packet.qos === 1) return { ...packet, messageId: undefined, dup: true };
  return { ...packet, messageId };
}

/** Open (creating) the file with the schema, WAL and an exclusive lock; a file that cannot be used is a VIGIL_BROKER_PERSISTENCE error. */
function openFile(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // one broker per file: a second process fails here instead of sharing sessions it would corrupt
    db.pragma('locking_mode = EXCLUSIVE');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new Error(`written by a newer broker (schema ${version}, this one knows ${SCHEMA_VERSION})`);
    db.exec(`BEGIN IMMEDIATE; ${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
    return db;
  } catch (err) {
    db?.close();
    const why = (err as { code?: string }).code === 'SQLITE_BUSY' ? 'in use by another broker process' : (err as Error).message;
    throw new BrokerError('VIGIL_BROKER_PERSISTENCE', `cannot use ${JSON.stringify(file)} for the broker's sessions: ${why} / 无法使用 ${JSON.stringify(file)} 保存消息代理会话：${why}`, { cause: err });
  }
}

/** Writes queued during one event-loop turn run in one transaction at its end; `flushed()` resolves when what was queued before it has committed. */
function batchWriter(db: Database.Database): { run(write: () => void): void; flushed(): Promise<void> } {
  let pending: (() => void)[] = [];
  let waiters: { resolve(): void; reject(err: unknown): void }[] = [];
  let scheduled = false;
  const commit = db.transaction((writes: (() => void)[]) => {
    for (const w of writes) w();
  });
  const flush = () => {
    scheduled = false;
    const writes = pending;
    const done = waiters;
    pending = [];
    waiters = [];
    try {
      if (writes.length > 0) commit(writes);
      for (const w of done) w.resolve();
    } catch (err) {
      for (const w of done) w.reject(err);
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  return {
    run(write) {
      pending.push(write);
      schedule();
    },
    flushed() {
      if (pending.length === 0 && !scheduled) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
  };
}
