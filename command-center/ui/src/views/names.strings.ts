import type { Lang } from '../i18n';

/** The rules' alert types (`Alert.rule`, as analytics names them), in both languages; unknown ones show their id. */
const RULES: Record<string, Record<Lang, string>> = {
  'zone.exclusion': { en: 'Exclusion zone', 'zh-CN': '进入禁区' },
  'zone.inclusion': { en: 'Left inclusion zone', 'zh-CN': '离开限定区' },
  'curfew.late': { en: 'Curfew: late', 'zh-CN': '宵禁：迟归' },
  'curfew.left': { en: 'Curfew: left', 'zh-CN': '宵禁：外出' },
  'curfew.no_fix': { en: 'Curfew: no fix', 'zh-CN': '宵禁：无定位' },
  'battery.low': { en: 'Battery low', 'zh-CN': '电量低' },
  'battery.critical': { en: 'Battery critical', 'zh-CN': '电量严重不足' },
  'tamper.strap': { en: 'Strap tamper', 'zh-CN': '腕带破坏' },
  'tamper.case': { en: 'Case opened', 'zh-CN': '外壳被打开' },
  'signal.comm_loss': { en: 'Communication lost', 'zh-CN': '通信中断' },
  'signal.location_loss': { en: 'Location lost', 'zh-CN': '定位丢失' },
  'checkin.missed': { en: 'Missed check-in', 'zh-CN': '未按时签到' },
  'victim.proximity': { en: 'Near the victim', 'zh-CN': '接近被害人' },
  panic: { en: 'Panic button', 'zh-CN': '紧急按钮' },
  'headcount.mismatch': { en: 'Headcount mismatch', 'zh-CN': '人数不符' },
  'biometrics.card_face_mismatch': { en: 'Card and face differ', 'zh-CN': '人卡不符' },
  'gate.forced': { en: 'Door forced open', 'zh-CN': '门被强行打开' },
  'gate.held_open': { en: 'Door held open', 'zh-CN': '门长时间未关' },
  'gate.denied': { en: 'Access denied repeatedly', 'zh-CN': '多次拒绝通行' },
  'gate.tamper': { en: 'Door controller tamper', 'zh-CN': '门禁被破坏' },
  'gate.anti_passback': { en: 'Anti-passback', 'zh-CN': '防反潜回' },
  'vision.zone_intrusion': { en: 'Intrusion (camera)', 'zh-CN': '区域入侵（视频）' },
  'vision.crowd': { en: 'Crowd gathering', 'zh-CN': '人员聚集' },
  'vision.person_down': { en: 'Person down', 'zh-CN': '人员倒地' },
  'vision.loitering': { en: 'Loitering', 'zh-CN': '徘徊逗留' },
};

/** Device kinds of the registry (`@vigil/broker` DEVICE_KINDS). */
const KINDS: Record<string, Record<Lang, string>> = {
  tag: { en: 'Tag', 'zh-CN': '电子标签' },
  gate: { en: 'Gate', 'zh-CN': '门禁' },
  camera: { en: 'Camera', 'zh-CN': '摄像机' },
  agent: { en: 'Edge agent', 'zh-CN': '边缘代理' },
  sensor: { en: 'Sensor', 'zh-CN': '传感器' },
};

/** A rule's name in `lang`, or its id if it is not one we know. */
export const ruleName = (rule: string, lang: Lang): string => RULES[rule]?.[lang] ?? rule;
/** A device kind's name in `lang`, or the kind itself. */
export const kindName = (kind: string, lang: Lang): string => KINDS[kind]?.[lang] ?? kind;
