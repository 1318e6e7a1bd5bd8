import { newMessage, type MessageKind } from '../src/index.js';

/** One valid sample per kind, with the topic it belongs on. */
export const VALID: Record<MessageKind, { topic: string; message: object }> = {
  'tag.fix': {
    topic: 'vigil/v1/cc-xuhui/tag-0001/telemetry',
    message: newMessage('tag.fix', 'tag-0001', 1, { lat: 31.1883, lon: 121.4365, acc_m: 8.5, speed_mps: 1.2, sats: 9, src: 'gps' }, 1_764_000_000_000),
  },
  'tag.health': {
    topic: 'vigil/v1/cc-xuhui/tag-0001/telemetry',
    message: newMessage('tag.health', 'tag-0001', 2, { battery_pct: 76, rssi_dbm: -85, charging: false }, 1_764_000_000_000),
  },
  'tag.tamper': {
    topic: 'vigil/v1/cc-xuhui/tag-0001/event',
    message: newMessage('tag.tamper', 'tag-0001', 3, { what: 'strap', active: true }, 1_764_000_000_000),
  },
  'gate.state': {
    topic: 'vigil/v1/prison-north/gw-block-a/event',
    message: newMessage('gate.state', 'gw-block-a', 1, { door: 'door-a1', open: true, locked: false, forced: false }, 1_764_000_000_000),
  },
  'gate.access': {
    topic: 'vigil/v1/prison-north/gw-block-a/event',
    message: newMessage('gate.access', 'gw-block-a', 2, { door: 'door-a1', card: '0042117', direction: 'in', granted: true }, 1_764_000_000_000),
  },
  'gate.alarm': {
    topic: 'vigil/v1/prison-north/gw-block-a/event',
    message: newMessage('gate.alarm', 'gw-block-a', 3, { door: 'door-a1', alarm: 'forced', active: true }, 1_764_000_000_000),
  },
  'cam.health': {
    topic: 'vigil/v1/prison-north/cam-yard-1/telemetry',
    message: newMessage('cam.health', 'cam-yard-1', 1, { online: true, fps: 12.5, bitrate_kbps: 1800, last_frame_ts: 1_764_000_000_000 }, 1_764_000_000_000),
  },
  'agent.status': {
    topic: 'vigil/v1/prison-north/gw-block-a/status',
    message: newMessage('agent.status', 'gw-block-a', 4, { online: true, version: '0.1.0', queue_depth: 0, uptime_s: 120 }, 1_764_000_000_000),
  },
  'panic.press': {
    topic: 'vigil/v1/cc-xuhui/tag-7/event',
    message: newMessage('panic.press', 'tag-7', 5, { button: 'sos', lat: 31.19, lon: 121.44, acc_m: 8 }, 1_764_000_000_000),
  },
  'cam.detection': {
    topic: 'vigil/v1/prison-north/cam-yard-1/event',
    message: newMessage('cam.detection', 'cam-yard-1', 2, { detection: 'zone_intrusion', active: true, zone: 'fence-east', people: 1, objects: [{ label: 'person', score: 0.81, box: { x: 0.1, y: 0.2, w: 0.1, h: 0.4 }, track: 3 }], snapshot_ref: 'cam-yard-1/1764000000000-1.jpg' }, 1_764_000_000_000),
  },
  'checkin.result': {
    topic: 'vigil/v1/cc-xuhui/checkin-portal/event',
    message: newMessage('checkin.result', 'checkin-portal', 1, { subject: 'subj-17', result: 'pass', face: 'matched', match: { score: 0.71, threshold: 0.55 }, liveness: { score: 0.98, threshold: 0.5 }, antispoof: { score: 0.8, threshold: 0.3 }, lat: 31.19, lon: 121.44, acc_m: 12 }, 1_764_000_000_000),
  },
};
