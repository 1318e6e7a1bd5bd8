/** Error codes of the schemas package. */
export type SchemaErrorCode =
  | 'VIGIL_SCHEMA_TOPIC'
  | 'VIGIL_SCHEMA_JSON'
  | 'VIGIL_SCHEMA_SIZE'
  | 'VIGIL_SCHEMA_KIND'
  | 'VIGIL_SCHEMA_CHANNEL'
  | 'VIGIL_SCHEMA_FIELD'
  | 'VIGIL_SCHEMA_DEVICE';

/** Why a message was refused: which field, which rule, in words. */
export interface ValidationError {
  code: SchemaErrorCode;
  /** JSON pointer of the offending field (`/body/lat`), or `''` for the whole message. */
  field: string;
  /** The rule broken, e.g. `maximum`, `required`, `pattern`, `topic-device-match`. */
  rule: string;
  message: string;
}
