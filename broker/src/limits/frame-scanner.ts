/** What the scanner saw in the bytes fed so far. */
export type FrameVerdict =
  | { kind: 'ok' }
  /** A fixed header announcing a packet larger than the limit; `packetBytes` is its whole size. */
  | { kind: 'too-large'; packetBytes: number }
  /** The first packet is not a CONNECT [MQTT-3.1.0-1]; `packetType` is its type (0-15). */
  | { kind: 'not-connect-first'; packetType: number }
  /** A Remaining Length longer than four bytes [MQTT-2.2.3]. */
  | { kind: 'malformed-length' };

const CONNECT = 1;
const OK: FrameVerdict = { kind: 'ok' };

/**
 * Follows the MQTT fixed headers in a byte stream without buffering it, so a
 * connection can be cut as soon as a header announces an oversized packet,
 * before the parser collects its body. Only headers are read: the type nibble
 * and the Remaining Length [MQTT-2.2]; bodies are skipped by count. A fatal
 * verdict sticks: once the stream is out of step nothing after it means anything.
 */
export class FrameScanner {
  private state: 'type' | 'length' | 'body' = 'type';
  private first = true;
  private lengthValue = 0;
  private lengthMultiplier = 1;
  private lengthBytes = 0;
  private bodyRemaining = 0;
  private fatal: FrameVerdict | undefined;

  constructor(private readonly maxPacketBytes: number) {}

  /** Feed the next chunk of the stream; returns the first fatal verdict, or ok. */
  feed(chunk: Uint8Array): FrameVerdict {
    if (this.fatal !== undefined) return this.fatal;
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const skip = Math.min(this.bodyRemaining, chunk.length - i);
        i += skip;
        this.bodyRemaining -= skip;
        if (this.bodyRemaining === 0) this.state = 'type';
        continue;
      }
      const byte = chunk[i]!;
      i += 1;
      if (this.state === 'type') {
        const packetType = byte >> 4;
        if (this.first && packetType !== CONNECT) return (this.fatal = { kind: 'not-connect-first', packetType });
        this.first = false;
        this.state = 'length';
        this.lengthValue = 0;
        this.lengthMultiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.lengthValue += (byte & 0x7f) * this.lengthMultiplier;
      this.lengthBytes += 1;
      if ((byte & 0x80) !== 0) {
        // [MQTT-2.2.3]: at most four bytes of Remaining Length
        if (this.lengthBytes === 4) return (this.fatal = { kind: 'malformed-length' });
        this.lengthMultiplier *= 128;
        continue;
      }
      const packetBytes = 1 + this.lengthBytes + this.lengthValue;
      if (packetBytes > this.maxPacketBytes) return (this.fatal = { kind: 'too-large', packetBytes });
      this.bodyRemaining = this.lengthValue;
      this.state = this.bodyRemaining === 0 ? 'type' : 'body';
    }
    return OK;
  }
}
