/** Codes of the errors the remote check-in raises, each with its HTTP status and words for the subject. */
export type CheckinErrorCode =
  | 'VIGIL_CHECKIN_LINK_INVALID' // damaged or forged link (bad signature or shape)
  | 'VIGIL_CHECKIN_LINK_UNKNOWN' // signed, but no such request (withdrawn)
  | 'VIGIL_CHECKIN_LINK_EXPIRED' // past the request's deadline and grace
  | 'VIGIL_CHECKIN_LINK_USED' // the request was answered already (links are single-use)
  | 'VIGIL_CHECKIN_NOT_ENROLLED' // no face template for the subject
  | 'VIGIL_CHECKIN_INPUT' // a missing or bad part of the upload (the field is named)
  | 'VIGIL_CHECKIN_UNAVAILABLE'; // the face models could not be loaded

const TEXT: Record<CheckinErrorCode, { status: number; en: string; zh: string }> = {
  VIGIL_CHECKIN_LINK_INVALID: { status: 400, en: 'this check-in link is not valid (damaged or forged)', zh: '签到链接无效（已损坏或被伪造）' },
  VIGIL_CHECKIN_LINK_UNKNOWN: { status: 404, en: 'this check-in request does not exist', zh: '该签到请求不存在' },
  VIGIL_CHECKIN_LINK_EXPIRED: { status: 410, en: 'this check-in link has expired', zh: '签到链接已过期' },
  VIGIL_CHECKIN_LINK_USED: { status: 409, en: 'this check-in link has already been used', zh: '签到链接已使用过' },
  VIGIL_CHECKIN_NOT_ENROLLED: { status: 409, en: 'no face is enrolled for you: contact your officer', zh: '尚未为您登记人脸，请联系矫正工作人员' },
  VIGIL_CHECKIN_INPUT: { status: 400, en: 'the upload is incomplete or not valid', zh: '上传内容不完整或无效' },
  VIGIL_CHECKIN_UNAVAILABLE: { status: 503, en: 'check-in is unavailable now: try again in a minute', zh: '签到暂不可用，请稍后再试' },
};

/** An error with a stable code, the HTTP status, and the field it is about where there is one. */
export class CheckinError extends Error {
  readonly code: CheckinErrorCode;
  readonly statusCode: number;
  readonly field: string | undefined;

  constructor(code: CheckinErrorCode, detail?: string, field?: string) {
    const t = TEXT[code];
    super(`${t.en}${detail ? ` (${detail})` : ''} / ${t.zh}`);
    this.name = 'CheckinError';
    this.code = code;
    this.statusCode = t.status;
    this.field = field;
  }
}
