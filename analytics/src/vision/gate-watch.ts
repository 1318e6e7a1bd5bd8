import type pg from 'pg';
import type { Logger } from 'pino';
import { TOPIC_ROOT, type Alert, type MessageOf } from '@vigil/schemas';
import { raiseAlert } from '../alert-store.js';
import { cardHolder, expectedPeople, recordGateFaceCheck, type GateFaceCheckRow } from '../biometrics/cards.js';
import { detectFaces, type FaceObservation } from '../biometrics/faces.js';
import { cardFaceDraft } from '../biometrics/gate.js';
import { DEFAULT_THRESHOLDS, identify, verify, type Candidate, type MatchThresholds, type MatchVerdict } from '../biometrics/match.js';
import { loadTemplates } from '../biometrics/store.js';
import type { CameraConfig } from './camera.js';
import type { LatestFrame } from './latest-frame.js';
import type { VisionRuntime } from './runtime.js';
import { saveEvidenceFrame } from './snapshot.js';

/** A camera that watches doors, with its newest frame. */
export interface GateCamera {
  cfg: CameraConfig;
  frames: LatestFrame;
}

/** Settings of the gate watch; times in ms. */
export interface GateWatchOptions {
  rt: VisionRuntime;
  pool: pg.Pool;
  cameras: GateCamera[];
  /** Folder for JPEG evidence frames (as the camera pipeline's). */
  snapshotDir: string;
  logger: Logger;
  onAlert?: (a: Alert) => void;
  /** The newest frame is used if at most this old when the read is handled. Default 1000. */
  frameMaxAgeMs?: number;
  /** Else the next frame is awaited this long. Default 2000. */
  frameWaitMs?: number;
  /** A read older than this (its event time against ours) is not judged: whoever used the card has gone through. Default 30000. */
  maxReadAgeMs?: number;
  /** How long a site's gallery (the people expected there) is reused before it is read again. Default 60000. */
  galleryTtlMs?: number;
  /** Faces the detector scores below this are ignored. Default 0.5. */
  minFaceScore?: number;
  now?: () => number;
}

/** What was made of one card read. */
export interface GateCheck extends Omit<GateFaceCheckRow, 'outcome'> {
  outcome: GateFaceCheckRow['outcome'] | 'stale';
  verdict?: MatchVerdict;
  /** 1:N: the verdict of the best candidate and every score. */
  identified?: { id: string | undefined; verdict: MatchVerdict; scores: Array<{ id: string; score: number }> };
  alert?: Alert;
}

/** The gate watch of vigil-vision. */
export interface GateWatch {
  /** MQTT filters of the event channels of the sites with gate cameras. */
  readonly filters: string[];
  /** Judge one card read; undefined when no camera here watches its door. */
  handle(site: string, msg: MessageOf<'gate.access'>): Promise<GateCheck | undefined>;
}

const OUTCOME_TEXT: Record<GateCheck['outcome'], string> = {
  matched: 'card read: the face matches the card holder',
  not_matched: 'card read: the face is not the card holder',
  uncertain: 'card read: face uncertain against the card holder; no alarm, kept for review',
  no_face: 'card read: no face in view; no alarm',
  no_template: 'card read: the card holder has no face template; identified only',
  unknown_card: 'card read: the card has no holder at this site; identified only',
  no_frame: 'card read: no frame from the gate camera in time',
  stale: 'card read too old to judge against the camera; skipped',
};

/** The face nearest the reader: the largest. */
const largest = (faces: FaceObservation[]) => faces.reduce<FaceObservation | undefined>((a, f) => (!a || f.box.w * f.box.h > a.box.w * a.box.h ? f : a), undefined);

/**
 * Identification at gates (issue 8): on a card read at a watched door, the
 * camera's newest frame (or the next) is searched for faces; the largest is
 * verified 1:1 against the card holder's template (`not_matched` raises
 * `biometrics.card_face_mismatch` with a snapshot) and identified 1:N among
 * the people expected at the site. Every judged read is kept in
 * `gate_face_checks` and logged with its scores and thresholds.
 */
export function createGateWatch(o: GateWatchOptions): GateWatch {
  const now = o.now ?? Date.now;
  const log = o.logger.child({ part: 'gate-watch' });
  const byDoor = new Map<string, GateCamera>();
  for (const c of o.cameras) for (const door of c.cfg.gate?.doors ?? []) byDoor.set(`${c.cfg.site}/${door}`, c);
  const sites = [...new Set(o.cameras.filter((c) => c.cfg.gate).map((c) => c.cfg.site))];
  const galleries = new Map<string, { at: number; people: Promise<Candidate[]> }>();
  let n = 0;

  const gallery = (site: string): Promise<Candidate[]> => {
    const g = galleries.get(site);
    if (g && now() - g.at < (o.galleryTtlMs ?? 60_000)) return g.people;
    const people = expectedPeople(o.pool, site);
    galleries.set(site, { at: now(), people });
    people.catch(() => galleries.delete(site));
    return people;
  };

  const judge = async (site: string, msg: MessageOf<'gate.access'>, cam: GateCamera): Promise<GateCheck> => {
    const t: MatchThresholds = cam.cfg.gate?.thresholds ?? DEFAULT_THRESHOLDS;
    const base = { msgId: msg.id, ts: msg.ts, site, door: msg.body.door, dev: msg.dev, camera: cam.cfg.id, granted: msg.body.granted, faces: 0 };
    const [holder, shot] = await Promise.all([cardHolder(o.pool, site, msg.body.card, msg.ts), cam.frames.get(o.frameMaxAgeMs ?? 1000, o.frameWaitMs ?? 2000, now())]);
    if (!shot) return { ...base, holder, outcome: 'no_frame' };
    const faces = await detectFaces(o.rt, shot.frame, o.minFaceScore ?? 0.5);
    const face = largest(faces);
    const snapshot = () => saveEvidenceFrame(o.snapshotDir, `${cam.cfg.id}/gate`, shot.ts, ++n, shot.frame, faces.map((f) => f.box));
    if (!face) return { ...base, holder, faces: 0, outcome: 'no_face', snapshotRef: await snapshot() };
    const [own, people] = await Promise.all([holder ? loadTemplates(o.pool, [holder]) : Promise.resolve([]), gallery(site)]);
    const verdict = own[0] ? verify(o.rt, face.descriptor, own[0].template, t) : undefined;
    const identified = people.length ? identify(o.rt, face.descriptor, people, t) : undefined;
    const outcome = !holder ? 'unknown_card' : !verdict ? 'no_template' : verdict.outcome;
    const check: GateCheck = {
      ...base,
      holder,
      faces: faces.length,
      outcome,
      verdict,
      identified,
      ...(verdict ? { score: verdict.score, threshold: verdict.threshold } : {}),
      ...(identified?.scores[0] ? { seen: identified.id, seenScore: identified.scores[0].score } : {}),
    };
    // A matched face leaves no picture; anything an officer may need to look at does.
    if (outcome !== 'matched') check.snapshotRef = await snapshot();
    const draft = verdict && holder ? cardFaceDraft({ site, dev: cam.cfg.id, door: msg.body.door, holder, msgId: msg.id, ts: msg.ts, verdict, snapshotRef: check.snapshotRef, ...(identified?.id ? { seen: { person: identified.id, score: identified.verdict.score } } : {}) }) : undefined;
    if (draft) {
      const r = await raiseAlert(o.pool, draft);
      if (r.alert) {
        check.alert = r.alert;
        check.alertId = r.alert.id;
        o.onAlert?.(r.alert);
      }
    }
    return check;
  };

  return {
    filters: sites.map((s) => `${TOPIC_ROOT}/${s}/+/event`),
    async handle(site, msg) {
      const cam = byDoor.get(`${site}/${msg.body.door}`);
      if (!cam) return undefined;
      const ageMs = now() - msg.ts;
      if (ageMs > (o.maxReadAgeMs ?? 30_000)) {
        log.warn({ door: msg.body.door, msgId: msg.id, ageMs }, OUTCOME_TEXT.stale);
        return { msgId: msg.id, ts: msg.ts, site, door: msg.body.door, dev: msg.dev, camera: cam.cfg.id, granted: msg.body.granted, holder: undefined, faces: 0, outcome: 'stale' };
      }
      const c = await judge(site, msg, cam);
      const { verdict: _v, identified, alert: _a, outcome, ...row } = c;
      if (outcome !== 'stale') await recordGateFaceCheck(o.pool, { ...row, outcome });
      const entry = {
        door: c.door, camera: c.camera, msgId: c.msgId, granted: c.granted, holder: c.holder, outcome, faces: c.faces,
        score: c.score, threshold: c.threshold, seen: c.seen, seenScore: c.seenScore, identifyThreshold: identified?.verdict.threshold,
        snapshot: c.snapshotRef, alert: c.alertId,
      };
      if (outcome === 'not_matched' || outcome === 'no_frame') log.warn(entry, OUTCOME_TEXT[outcome]);
      else log.info(entry, OUTCOME_TEXT[outcome]);
      return c;
    },
  };
}
