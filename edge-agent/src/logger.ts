import { pino, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

/** One JSON logger per module, to stdout; `name` says which module wrote the line. */
export function createLogger(name: string, level: Level | 'silent' = 'info'): Logger {
  return pino({ name: `edge:${name}`, level });
}
