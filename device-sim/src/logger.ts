import { pino, type Logger } from 'pino';

/** A JSON logger for one module of the device simulator. */
export function createLogger(name: string): Logger {
  return pino({ name: `device-sim:${name}` });
}
