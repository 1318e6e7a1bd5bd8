import { DefaultPacketFactory, parseGenericPacket, type GGAPacket, type GSAPacket, type Packet, type RMCPacket } from 'nmea-simple';
import type { PacketStub } from 'nmea-simple/dist/codecs/PacketStub.js';

/**
 * Vigil's proprietary sentences (docs/nmea-framing.md), parsed by nmea-simple's
 * generic parser (checksum included) with this factory:
 *   $PVGLI,<tag>,<fw>                                 who is talking on this stream
 *   $PVGLH,<tag>,<battery %>,<rssi dBm>,<charging 0|1>,<temp °C>,<fw>   health
 *   $PVGLT,<tag>,strap|case,1|0                      tamper start (1) / restore (0)
 */
export type VigilPacket =
  | { sentenceId: 'VGLI'; fields: string[] }
  | { sentenceId: 'VGLH'; fields: string[] }
  | { sentenceId: 'VGLT'; fields: string[] };

class VigilFactory extends DefaultPacketFactory<VigilPacket> {
  override assembleCustomPacket(stub: PacketStub, fields: string[]): VigilPacket | null {
    if (stub.talkerId !== 'P') return null;
    if (stub.sentenceId === 'VGLI' || stub.sentenceId === 'VGLH' || stub.sentenceId === 'VGLT') return { sentenceId: stub.sentenceId, fields: fields.slice(1) };
    return null;
  }
}
const FACTORY = new VigilFactory();

/** What one line is. */
export type Parsed =
  | { ok: true; packet: GGAPacket | GSAPacket | RMCPacket; time: string }
  | { ok: true; packet: VigilPacket; time: null }
  | { ok: false; reason: 'malformed' | 'checksum' | 'unsupported'; detail: string };

const CHECKSUM = /\*[0-9A-Fa-f]{2}$/;

/**
 * Parse one sentence (no line ending). A sentence must start with `$` and end
 * with `*hh`; a bad checksum, a missing one, or a field that does not parse is
 * refused with the reason; a well-formed sentence of another type (GSV, VTG…)
 * is `unsupported`.
 */
export function parseSentence(line: string): Parsed {
  if (!line.startsWith('$') || !CHECKSUM.test(line)) return { ok: false, reason: 'malformed', detail: 'not $…*hh' };
  if (/[^\x20-\x7e]/.test(line)) return { ok: false, reason: 'malformed', detail: 'non-printable character' };
  let packet: Packet | VigilPacket;
  try {
    packet = parseGenericPacket<Packet | VigilPacket>(line, FACTORY);
  } catch (err) {
    const msg = (err as Error).message;
    if (msg.startsWith('Invalid sentence')) return { ok: false, reason: 'checksum', detail: 'checksum mismatch' };
    if (msg.startsWith('No known parser')) return { ok: false, reason: 'unsupported', detail: msg };
    return { ok: false, reason: 'malformed', detail: msg };
  }
  switch (packet.sentenceId) {
    case 'GGA':
    case 'GSA':
    case 'RMC':
    case 'VGLI':
    case 'VGLH':
    case 'VGLT':
      break;
    default:
      return { ok: false, reason: 'unsupported', detail: `sentence ${packet.sentenceId}` };
  }
  if (packet.sentenceId === 'VGLI' || packet.sentenceId === 'VGLH' || packet.sentenceId === 'VGLT') return { ok: true, packet, time: null };
  const time = packet.sentenceId === 'GSA' ? '' : (line.split(',')[1] ?? '');
  return { ok: true, packet: packet as GGAPacket | GSAPacket | RMCPacket, time };
}
