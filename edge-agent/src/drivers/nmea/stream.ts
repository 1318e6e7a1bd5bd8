import { isValidId } from '@vigil/schemas';
import type { DriverContext } from '../../driver.js';
import { epochToFix, fixTime, type Epoch } from './fix.js';
import { healthFrame, tamperFrame, type Frame } from './frames.js';
import { parseSentence } from './sentences.js';

/** What a stream needs from its driver. */
export interface StreamHost {
  ctx: DriverContext;
  uereM: number;
  epochFlushMs: number;
  maxLineBytes: number;
  /** Is this tag one the driver speaks for? */
  allowed(tag: string): boolean;
  /** A sentence was dropped: count it and (rate-limited) log it. */
  drop(reason: string, line: string, detail: string, stream: string): void;
  /** Remember a tag seen on a stream (for devices()). */
  seen(tag: string): void;
}

/**
 * One NMEA byte stream (a TCP connection, a serial line): splits lines,
 * parses and checks each sentence, tracks which tag is talking (`$PVGLI`),
 * gathers each epoch's GGA/GSA/RMC into one `tag.fix`, and turns `$PVGLH` /
 * `$PVGLT` into `tag.health` / `tag.tamper`. Emits in arrival order, one at a
 * time, and asks its source to pause while more than 1 000 wait for the queue.
 */
export class NmeaStream {
  private partial = '';
  private skipping = false;
  private tag: string | null = null;
  private epoch: Epoch | null = null;
  private pendingGsa: Epoch['gsa'] | undefined;
  private lastDate: number | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private waiting = 0;
  private paused = false;

  constructor(
    private readonly host: StreamHost,
    readonly label: string,
    private readonly flow: { pause(): void; resume(): void } = { pause: () => undefined, resume: () => undefined },
  ) {}

  /** Feed bytes as they arrive. */
  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString('latin1');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const raw of lines) {
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      this.line(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    }
    if (this.partial.length > this.host.maxLineBytes) {
      if (!this.skipping) this.host.drop('overlong', this.partial, `line longer than ${this.host.maxLineBytes} bytes`, this.label);
      this.partial = '';
      this.skipping = true;
    }
  }

  /** The stream ended: publish a pending epoch and wait until everything is handed to the agent. */
  async end(): Promise<void> {
    if (this.partial.trim() !== '' && !this.skipping) this.host.drop('malformed', this.partial, 'incomplete line at end of stream', this.label);
    this.partial = '';
    this.flushEpoch();
    await this.chain;
  }

  private line(line: string): void {
    if (line.trim() === '') return;
    if (line.length > this.host.maxLineBytes) return this.host.drop('overlong', line, `line longer than ${this.host.maxLineBytes} bytes`, this.label);
    const p = parseSentence(line);
    if (!p.ok) return this.host.drop(p.reason, line, p.detail, this.label);
    const pk = p.packet;
    switch (pk.sentenceId) {
      case 'VGLI': {
        const id = pk.fields[0] ?? '';
        this.flushEpoch();
        if (!isValidId(id)) {
          this.tag = null;
          return this.host.drop('malformed', line, `PVGLI: bad tag id ${JSON.stringify(id)}`, this.label);
        }
        if (!this.host.allowed(id)) {
          this.tag = null;
          return this.host.drop('unknown-tag', line, `tag ${id} is not one of this driver's tags`, this.label);
        }
        this.tag = id;
        this.host.seen(id);
        return;
      }
      case 'VGLH':
        return this.frame(healthFrame(pk.fields), line);
      case 'VGLT':
        return this.frame(tamperFrame(pk.fields), line);
      case 'GSA':
        if (this.epoch) this.epoch.gsa = pk;
        else this.pendingGsa = pk;
        return;
      case 'GGA':
      case 'RMC': {
        if (!this.tag) return this.host.drop('unidentified', line, 'position before any $PVGLI on this stream', this.label);
        const time = p.time ?? '';
        if (this.epoch && this.epoch.time !== time) this.flushEpoch();
        let epoch = this.epoch;
        if (!epoch) {
          epoch = this.epoch = { time, gsa: this.pendingGsa };
          this.pendingGsa = undefined;
          this.flushTimer = setTimeout(() => this.flushEpoch(), this.host.epochFlushMs);
        }
        if (pk.sentenceId === 'GGA') epoch.gga = pk;
        else {
          epoch.rmc = pk;
          const d = pk.datetime.getTime();
          if (Number.isFinite(d)) this.lastDate = d - (d % 86_400_000);
        }
        if (epoch.gga && epoch.rmc) this.flushEpoch();
        return;
      }
    }
  }

  private frame(f: Frame, line: string): void {
    if (!f.ok) return this.host.drop('malformed', line, f.detail, this.label);
    if (!this.host.allowed(f.tag)) return this.host.drop('unknown-tag', line, `tag ${f.tag} is not one of this driver's tags`, this.label);
    this.host.seen(f.tag);
    this.flushEpoch();
    const { tag, type, body } = f;
    this.emit(() => (type === 'tag.health' ? this.host.ctx.emit(tag, type, body) : this.host.ctx.emit(tag, type, body)));
  }

  private flushEpoch(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const epoch = this.epoch;
    this.epoch = null;
    if (!epoch || !this.tag) return;
    const line = `epoch ${epoch.time}`;
    const fix = epochToFix(epoch, this.host.uereM);
    if (typeof fix === 'string') return this.host.drop(fix, line, fix === 'no-fix' ? 'receiver has no fix' : fix === 'no-accuracy' ? 'no HDOP in GGA or GSA' : 'position out of range', this.label);
    const ts = fixTime(epoch, this.lastDate, Date.now());
    if (ts === null || !Number.isFinite(ts) || ts < 946_684_800_000 || ts > 4_102_444_800_000) return this.host.drop('malformed', line, 'bad time', this.label);
    const tag = this.tag;
    this.emit(() => this.host.ctx.emit(tag, 'tag.fix', fix, { ts }));
  }

  private emit(send: () => Promise<void>): void {
    this.waiting++;
    if (this.waiting > 1000 && !this.paused) {
      this.paused = true;
      this.flow.pause();
    }
    this.chain = this.chain
      .then(send)
      .catch((err: unknown) => {
        this.host.ctx.count('emit-failed');
        this.host.ctx.log.error({ err: (err as Error).message, stream: this.label }, 'could not hand a message to the agent');
      })
      .finally(() => {
        this.waiting--;
        if (this.paused && this.waiting < 100) {
          this.paused = false;
          this.flow.resume();
        }
      });
  }
}
