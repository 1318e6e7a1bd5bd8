export { nmeaPlugin, createNmeaDriver, type NmeaDriver } from './plugin.js';
export { NmeaConfig, NmeaSource } from './config.js';
export { parseSentence, type Parsed } from './sentences.js';
export { accuracyM, epochToFix } from './fix.js';
