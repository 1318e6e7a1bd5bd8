/** Why the gate simulator refused something; `code` is stable, the message bilingual. */
export type GateErrorCode = 'UNKNOWN_DOOR' | 'UNKNOWN_AREA' | 'UNKNOWN_ACTION' | 'BAD_ARGUMENT' | 'LOCKDOWN' | 'INVALID_STATE';

export class GateError extends Error {
  readonly code: GateErrorCode;
  constructor(code: GateErrorCode, message: string) {
    super(message);
    this.name = 'GateError';
    this.code = code;
  }
}
