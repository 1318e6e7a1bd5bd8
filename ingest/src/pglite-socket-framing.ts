import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { completeMessages } from './pg-frames.js';
import { installedVersion } from './installed-version.js';

/**
 * pglite-socket 0.0.19 hands each TCP chunk to PGlite as if it were whole
 * messages; a message split across reads (any query over ~64 KiB, e.g. a
 * 500-row batch insert) makes PGlite abort with "unreachable" and takes the
 * process down (upstream electric-sql/pglite PR #775, open). Until a fixed
 * release can be pinned, the handler is given only whole messages: chunks are
 * buffered until they complete, and handed on one batch at a time, in order.
 */
const PATCHED_VERSION = '0.0.19';

interface FramingState {
  pending: Buffer;
  startedUp: boolean;
  chain: Promise<unknown>;
}

type Handler = { handleData(data: Buffer): Promise<number> } & { __vigilFraming?: FramingState };

let applied = false;

/** Install the framing fix once per process; refuses to patch any other version of the library. */
export function applyPgliteSocketFraming(): void {
  if (applied) return;
  const version = installedVersion('@electric-sql/pglite-socket');
  if (version !== PATCHED_VERSION) {
    throw new Error(`VIGIL_INGEST_DB: framing fix written for @electric-sql/pglite-socket ${PATCHED_VERSION}, found ${version}; review it`);
  }
  const proto = PGLiteSocketHandler.prototype as unknown as Handler;
  const original = proto.handleData;
  proto.handleData = function (this: Handler, data: Buffer): Promise<number> {
    const state = (this.__vigilFraming ??= { pending: Buffer.alloc(0), startedUp: false, chain: Promise.resolve() });
    state.pending = state.pending.length === 0 ? data : Buffer.concat([state.pending, data]);
    const { bytes, startedUp } = completeMessages(state.pending, state.startedUp);
    if (bytes === 0) return Promise.resolve(0);
    const whole = state.pending.subarray(0, bytes);
    state.pending = Buffer.from(state.pending.subarray(bytes));
    state.startedUp = startedUp;
    const run = state.chain.then(() => original.call(this, whole));
    state.chain = run.catch(() => undefined);
    return run;
  };
  applied = true;
}
