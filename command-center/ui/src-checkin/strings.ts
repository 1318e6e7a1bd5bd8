/** The page's languages: zh-CN and English, the browser's by default. */
export type Lang = 'en' | 'zh-CN';

/** The challenge the server asks for (the subject's own left or right). */
export type Challenge = 'turn_left' | 'turn_right';

const en = {
  title: 'Check-in',
  other: '中文',
  otherLang: 'zh-CN',
  loading: 'Opening your check-in…',
  intro: 'Your officer asks you to check in now. The phone takes a photo of your face and your location.',
  steps: ['Hold the phone at eye level, in good light, with only your face in view.', 'Look straight at the camera.', 'When asked, slowly turn your head.'],
  dueBy: (t: string) => `Please finish by ${t}.`,
  start: 'Start check-in',
  look: (n: number) => `Look straight at the camera… ${n}`,
  turn: { turn_left: 'Now slowly turn your head to your LEFT ←', turn_right: 'Now slowly turn your head to your RIGHT →' } as Record<Challenge, string>,
  hold: 'Hold still…',
  sending: 'Sending your check-in…',
  noLocation: 'Your location could not be read; the check-in is sent without it.',
  results: { pass: 'Checked in', review: 'Received', fail: 'Not accepted' } as Record<string, string>,
  problem: 'Check-in not possible',
  cameraDenied: 'The camera could not be opened. Allow this page to use the camera, then try again.',
  network: 'The check-in could not be sent. Check the connection and try again.',
  retry: 'Try again',
  codes: {
    VIGIL_CHECKIN_LINK_INVALID: 'This link is not valid. Use the link in the message exactly as it came.',
    VIGIL_CHECKIN_LINK_UNKNOWN: 'This check-in request does not exist (it may have been withdrawn).',
    VIGIL_CHECKIN_LINK_EXPIRED: 'This check-in link has expired. Contact your officer.',
    VIGIL_CHECKIN_LINK_USED: 'This check-in has already been done. Each link can be used once.',
    VIGIL_CHECKIN_NOT_ENROLLED: 'No face is enrolled for you yet. Contact your officer.',
    VIGIL_CHECKIN_UNAVAILABLE: 'Check-in is unavailable at the moment. Try again in a minute.',
  } as Record<string, string>,
};

const zh: typeof en = {
  title: '签到',
  other: 'English',
  otherLang: 'en',
  loading: '正在打开签到…',
  intro: '您的矫正工作人员请您现在签到。手机将拍摄您的面部照片并记录您的位置。',
  steps: ['请将手机举至与眼睛齐平，光线充足，画面中只有您的脸。', '请直视摄像头。', '听到提示后，慢慢转头。'],
  dueBy: (t: string) => `请在 ${t} 前完成。`,
  start: '开始签到',
  look: (n: number) => `请直视摄像头…… ${n}`,
  turn: { turn_left: '现在请慢慢向您的左侧转头 ←', turn_right: '现在请慢慢向您的右侧转头 →' },
  hold: '请保持不动……',
  sending: '正在发送签到……',
  noLocation: '无法读取您的位置，签到将不带位置发送。',
  results: { pass: '签到成功', review: '已收到', fail: '未通过' },
  problem: '无法签到',
  cameraDenied: '无法打开摄像头。请允许本页面使用摄像头后重试。',
  network: '签到未能发送。请检查网络后重试。',
  retry: '重试',
  codes: {
    VIGIL_CHECKIN_LINK_INVALID: '此链接无效。请使用短信中的原始链接。',
    VIGIL_CHECKIN_LINK_UNKNOWN: '该签到请求不存在（可能已撤销）。',
    VIGIL_CHECKIN_LINK_EXPIRED: '此签到链接已过期。请联系您的矫正工作人员。',
    VIGIL_CHECKIN_LINK_USED: '该签到已完成。每个链接只能使用一次。',
    VIGIL_CHECKIN_NOT_ENROLLED: '尚未为您登记人脸。请联系您的矫正工作人员。',
    VIGIL_CHECKIN_UNAVAILABLE: '签到暂不可用，请稍后再试。',
  },
};

export const STRINGS: Record<Lang, typeof en> = { en, 'zh-CN': zh };

/** zh-CN if the browser prefers any Chinese, else English. */
export function browserLang(langs: readonly string[]): Lang {
  for (const l of langs) {
    if (/^zh\b/i.test(l)) return 'zh-CN';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'zh-CN';
}
