import { pino, type Logger } from 'pino';

/** A JSON logger for one module of the analytics service. */
export function createLogger(name: string): Logger {
  return pino({ name: `analytics:${name}` });
}
