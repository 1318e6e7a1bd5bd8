/** Error codes of the ingest package. */
export type IngestErrorCode = 'VIGIL_CONFIG' | 'VIGIL_INGEST_MIGRATION' | 'VIGIL_INGEST_DB' | 'VIGIL_INGEST_MQTT' | 'VIGIL_INGEST_HTTP' | 'VIGIL_INGEST_LP_TOKEN' | 'VIGIL_INGEST_CLOSED';

/** An error with a stable code, raised at the package boundary. */
export class IngestError extends Error {
  readonly code: IngestErrorCode;

  constructor(code: IngestErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngestError';
    this.code = code;
  }
}

/** A bad or missing setting; `variable` names it so the operator can fix it. */
export class ConfigError extends IngestError {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super('VIGIL_CONFIG', message);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}
