export { openSeqCounter, type SeqCounter } from './seq-counter.js';
export type { Driver, DriverContext, DriverLogger, DriverPlugin, DriverState, CommandOutcome, Priority } from './driver.js';
