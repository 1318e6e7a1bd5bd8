/** Codes of the errors the command centre raises at its boundaries. */
export type CommandCenterErrorCode =
  | 'VIGIL_CC_CONFIG' // a bad setting at start-up
  | 'VIGIL_CC_VALIDATION' // a request that does not match its route schema, or a rule (password, transition field)
  | 'VIGIL_CC_AUDIT' // the audit row could not be written, so the data is not served
  | 'VIGIL_CC_ALERT_INVALID' // an alert from the broker that fails the `Alert` schema
  | 'VIGIL_CC_UNAUTHENTICATED' // no valid session or token (or it timed out)
  | 'VIGIL_CC_MFA_REQUIRED' // the password was right; the second factor (or its enrolment) is still owed
  | 'VIGIL_CC_LOCKED' // too many failed logins; locked for a while
  | 'VIGIL_CC_FORBIDDEN' // the role (or the token's scopes) does not include the action
  | 'VIGIL_CC_NOT_FOUND' // no such object in the caller's scope (whether or not it exists elsewhere)
  | 'VIGIL_CC_CONFLICT' // the object exists already, or the alert's state does not allow the action
  | 'VIGIL_CC_UNAVAILABLE' // a part the request needs is not connected (broker, camera)
  | 'VIGIL_CC_RATE_LIMITED'; // too many requests from this user or address

const STATUS: Record<CommandCenterErrorCode, number> = {
  VIGIL_CC_CONFIG: 500,
  VIGIL_CC_VALIDATION: 400,
  VIGIL_CC_AUDIT: 500,
  VIGIL_CC_ALERT_INVALID: 400,
  VIGIL_CC_UNAUTHENTICATED: 401,
  VIGIL_CC_MFA_REQUIRED: 401,
  VIGIL_CC_LOCKED: 423,
  VIGIL_CC_FORBIDDEN: 403,
  VIGIL_CC_NOT_FOUND: 404,
  VIGIL_CC_CONFLICT: 409,
  VIGIL_CC_UNAVAILABLE: 503,
  VIGIL_CC_RATE_LIMITED: 429,
};

/** An error with a stable code, and the field it is about where there is one. */
export class CommandCenterError extends Error {
  readonly code: CommandCenterErrorCode;
  readonly field: string | undefined;
  readonly statusCode: number;

  constructor(code: CommandCenterErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'CommandCenterError';
    this.code = code;
    this.field = field;
    this.statusCode = STATUS[code];
  }
}

/** The 404 for anything outside the caller's scope: the same words whether or not the object exists. */
export function notFound(what: string): CommandCenterError {
  return new CommandCenterError('VIGIL_CC_NOT_FOUND', `${what} not found / 未找到`);
}
