export { detectFaces, similarity, type FaceObservation } from './faces.js';
export { enrolFace, REJECT_TEXT, type FaceTemplate, type EnrolOptions, type PhotoVerdict, type RejectReason } from './enrol.js';
export { verify, identify, judge, templateScore, DEFAULT_THRESHOLDS, type MatchThresholds, type MatchVerdict, type Candidate } from './match.js';
export { judgeCheckin, checkinMessage, DEFAULT_CHECKIN_THRESHOLDS, type CheckinThresholds, type CheckinFix } from './checkin.js';
export { saveTemplate, loadTemplates, recordCheckin, pendingCheckins, reviewCheckin, type PendingCheckin } from './store.js';
export { missedCheckins, type DueCheckin } from './missed.js';
export { cardFaceDraft, type CardFaceCheck } from './gate.js';
export { judgeHeadTurn, DEFAULT_HEAD_TURN, type HeadTurn, type HeadTurnThresholds, type HeadTurnVerdict } from './challenge.js';
export { issueCard, revokeCard, cardHolder, expectedPeople, recordGateFaceCheck, type GateFaceCheckRow } from './cards.js';
