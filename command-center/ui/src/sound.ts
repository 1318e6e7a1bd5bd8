/** A short two-tone alarm made in code with WebAudio (no audio file: nothing to download, PRODUCT.md offline). */
let ctx: AudioContext | undefined;

/** Browsers only let audio start after a user gesture: call this from one (a click or a key). */
export function unlockAudio(): void {
  try {
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume();
  } catch {
    // no WebAudio: alerts stay visible, just silent
  }
}

/** Beep three times, alternating 880 and 660 Hz; about 0.6 s. Silent when audio is not unlocked. */
export function beepCritical(): void {
  if (!ctx || ctx.state !== 'running') return;
  const start = ctx.currentTime;
  const gain = ctx.createGain();
  gain.connect(ctx.destination);
  gain.gain.setValueAtTime(0.0001, start);
  for (let i = 0; i < 3; i++) {
    const t = start + i * 0.2;
    const osc = ctx.createOscillator();
    osc.type = 'square';
    osc.frequency.setValueAtTime(i % 2 === 0 ? 880 : 660, t);
    osc.connect(gain);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
    osc.start(t);
    osc.stop(t + 0.18);
  }
}
