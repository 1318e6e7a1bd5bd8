export { openSeqCounter, type SeqCounter } from './seq-counter.js';
