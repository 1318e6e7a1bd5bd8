import { newMessage, type BodyOf, type MessageOf, type Severity } from '@vigil/schemas';
import type { AlertDraft } from '../rules/types.js';
import type { Box } from './image.js';
import type { DetectionKind, SceneEvent } from './detections.js';

const TITLES: Record<DetectionKind, { en: string; 'zh-CN': string; severity: Severity }> = {
  zone_intrusion: { en: 'Person in a restricted zone', 'zh-CN': '有人进入禁区', severity: 'high' },
  crowd: { en: 'People gathering', 'zh-CN': '人员聚集', severity: 'medium' },
  person_down: { en: 'Person down', 'zh-CN': '有人倒地', severity: 'critical' },
  loitering: { en: 'Loitering', 'zh-CN': '可疑逗留', severity: 'low' },
};

/** The alert title and severity of a detection kind (English and zh-CN). */
export const detectionTitle = (d: DetectionKind) => TITLES[d];

const frac = (v: number, max: number) => Math.min(1, Math.max(0, v / max));

/** A box in pixels as fractions of the frame, clipped to it. */
export function toFrameBox(b: Box, width: number, height: number): { x: number; y: number; w: number; h: number } {
  const x = frac(b.x, width);
  const y = frac(b.y, height);
  return { x, y, w: Math.min(1 - x, frac(b.w, width)), h: Math.min(1 - y, frac(b.h, height)) };
}

/** The cam.detection message of a scene event. */
export function detectionMessage(
  camera: string,
  seq: number,
  ev: SceneEvent,
  ts: number,
  frame: { width: number; height: number },
  snapshotRef?: string,
): MessageOf<'cam.detection'> {
  const body: BodyOf<'cam.detection'> = {
    detection: ev.detection,
    active: ev.active,
    people: ev.people,
    duration_ms: Math.max(0, Math.round(ev.durationMs)),
    objects: ev.tracks.slice(0, 50).map((t) => ({ label: 'person', score: Math.min(1, Math.max(0, t.score)), box: toFrameBox(t.box, frame.width, frame.height), track: t.id })),
  };
  if (ev.zone) body.zone = ev.zone;
  if (snapshotRef) body.snapshot_ref = snapshotRef;
  return newMessage('cam.detection', camera, seq, body, ts) as MessageOf<'cam.detection'>;
}

/**
 * The alert draft of a cam.detection: one alert per camera, detection and
 * zone (repeats fold into it), cleared when the condition ends; the
 * evidence links the snapshot and the message.
 */
export function detectionDraft(site: string, msg: MessageOf<'cam.detection'>): AlertDraft {
  const b = msg.body;
  const t = TITLES[b.detection];
  const where = b.zone ? ` (${b.zone})` : '';
  return {
    rule: `vision.${b.detection}`,
    key: `vision.${b.detection}:${msg.dev}:${b.zone ?? '-'}`,
    severity: t.severity,
    site,
    dev: msg.dev,
    title: { en: `${t.en}${where}`, 'zh-CN': `${t['zh-CN']}${where}` },
    ts: msg.ts,
    evidence: {
      msg_ids: [msg.id],
      ...(b.zone ? { zone_id: b.zone } : {}),
      ...(b.snapshot_ref ? { snapshot_ref: b.snapshot_ref } : {}),
      counted: b.people,
    },
    cause: msg.id,
    ...(b.active ? {} : { clear: true }),
  };
}
