/** Error codes of the edge agent. */
export type EdgeErrorCode =
  | 'VIGIL_EDGE_CONFIG' // a bad config file or remote config
  | 'VIGIL_EDGE_MESSAGE' // a driver emitted a message that does not fit its kind
  | 'VIGIL_EDGE_QUEUE' // the disk queue could not be opened or written
  | 'VIGIL_EDGE_CLOSED'; // the agent (or its queue) is stopping

/** An error with a stable code, raised at the package boundary. */
export class EdgeError extends Error {
  readonly code: EdgeErrorCode;

  constructor(code: EdgeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EdgeError';
    this.code = code;
  }
}

/** A bad config; `key` names the offending key (`drivers[1].config.port`). */
export class ConfigError extends EdgeError {
  readonly key: string;

  constructor(key: string, message: string) {
    super('VIGIL_EDGE_CONFIG', message);
    this.name = 'ConfigError';
    this.key = key;
  }
}
