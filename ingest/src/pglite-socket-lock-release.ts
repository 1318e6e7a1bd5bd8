import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';

type Handler = {
  handleError(err: unknown): void;
  resolveLock?: (() => void) | undefined;
  rejectLock?: ((err: unknown) => void) | undefined;
};

let applied = false;

/**
 * pglite-socket 0.0.19 holds PGlite's exclusive lock for a connection in a
 * `runExclusive` whose promise nobody awaits; when the client's socket fails
 * (ECONNRESET from a client killed with SIGKILL, for one) it releases the lock
 * by rejecting that promise, which becomes an unhandled rejection and ends the
 * embedded database's process. Release it by resolving instead: the lock is
 * let go the same way, and nothing is left unhandled. (The socket error is
 * still logged by the library and the connection still closed.)
 */
export function applyPgliteSocketLockRelease(): void {
  if (applied) return;
  const proto = PGLiteSocketHandler.prototype as unknown as Handler;
  const original = proto.handleError;
  proto.handleError = function (this: Handler, err: unknown): void {
    const resolve = this.resolveLock;
    if (this.rejectLock !== undefined) this.rejectLock = () => resolve?.();
    original.call(this, err);
  };
  applied = true;
}
