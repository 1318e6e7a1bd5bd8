/** Codes of the errors the command centre raises at its boundaries. */
export type CommandCenterErrorCode =
  | 'VIGIL_CC_CONFIG' // a bad setting at start-up
  | 'VIGIL_CC_VALIDATION' // a request that does not match its route schema
  | 'VIGIL_CC_AUDIT' // the audit row could not be written, so the data is not served
  | 'VIGIL_CC_ALERT_INVALID'; // an alert from the broker that fails the `Alert` schema

/** An error with a stable code, and the field it is about where there is one. */
export class CommandCenterError extends Error {
  readonly code: CommandCenterErrorCode;
  readonly field: string | undefined;

  constructor(code: CommandCenterErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'CommandCenterError';
    this.code = code;
    this.field = field;
  }
}
