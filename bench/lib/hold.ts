/** The connections-held measurement: N authenticated devices at once, the broker's memory, then all of them again. */
import { rssBytes, startWorker } from './processes.js';
import { connect, device, deviceId, medians, type BenchSettings, type BrokerFigures, type Rig } from './scenarios.js';

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hold `s.connections` devices on the rig's broker, read its memory, reconnect them all, and return its figures. */
export async function hold(rig: Rig, s: BenchSettings, progress: (line: string) => void): Promise<BrokerFigures> {
  const { target } = rig;
  const specs = Array.from({ length: s.connections }, (_, i) => device(s, deviceId('hold', i)));
  // the baseline: after the throughput runs and a GC, so what they left behind is not counted per connection
  await settle(1_000);
  const beforeHoldHeapBytes = await target.collectGarbage();
  const beforeHoldRssBytes = rssBytes(target.pid);
  const holders = [startWorker(), startWorker()];
  try {
    const first = await connect(holders, target.port, specs);
    progress(`${target.name}: ${first.connected} connections held (${first.failed} failed) after ${(first.ms / 1000).toFixed(1)} s`);
    // let transient allocations (scrypt's 32 MiB per hash, parser buffers) go before reading memory
    await settle(3_000);
    const heldHeapBytes = await target.collectGarbage();
    const heldRssBytes = rssBytes(target.pid);
    await Promise.all(holders.map((w) => w.call({ cmd: 'close' })));
    // the same devices again at once, as after a network blip: Vigil's credential cache (auth-cache.ts) applies
    const again = await connect(holders, target.port, specs);
    progress(`${target.name}: ${again.connected} reconnected (${again.failed} failed) after ${(again.ms / 1000).toFixed(1)} s`);
    await Promise.all(holders.map((w) => w.call({ cmd: 'close' })));
    return {
      rates: medians(rig),
      lost: rig.lost,
      idleRssBytes: rig.idleRssBytes,
      beforeHoldRssBytes,
      heldRssBytes,
      beforeHoldHeapBytes,
      heldHeapBytes,
      held: first.connected,
      connectFailed: first.failed + again.failed,
      connectMs: first.ms,
      reconnected: again.connected,
      reconnectMs: again.ms,
      firstConnectError: first.firstError ?? again.firstError,
    };
  } finally {
    for (const w of holders) w.stop();
  }
}
