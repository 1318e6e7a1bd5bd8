/** Codes of the errors notifications raise. */
export type NotifyErrorCode =
  | 'VIGIL_NOTIFY_POLICY' // a stored policy that does not match its shape (the field is named)
  | 'VIGIL_NOTIFY_CHANNEL_DOWN' // the channel's server cannot be reached now (retried)
  | 'VIGIL_NOTIFY_REJECTED' // the channel's server refused the message (retried unless permanent)
  | 'VIGIL_NOTIFY_TIMEOUT' // the channel did not answer in time (retried)
  | 'VIGIL_NOTIFY_NO_CHANNEL' // a row names a channel this runner does not have
  | 'VIGIL_NOTIFY_LINK'; // a deep link that is malformed, forged or expired

/** An error with a stable code; `permanent` means a retry cannot help (goes straight to the dead letter). */
export class NotifyError extends Error {
  readonly code: NotifyErrorCode;
  readonly permanent: boolean;
  readonly field: string | undefined;

  constructor(code: NotifyErrorCode, message: string, opts: { permanent?: boolean; field?: string } = {}) {
    super(message);
    this.name = 'NotifyError';
    this.code = code;
    this.permanent = opts.permanent ?? false;
    this.field = opts.field;
  }
}
