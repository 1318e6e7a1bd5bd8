import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON logger per module, to stdout (conventions: never `console`). */
export function createLogger(name: string, level = 'info'): Logger {
  return pino({ name, level });
}
