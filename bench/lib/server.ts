/**
 * One broker in its own process, so its resident memory is its own:
 * `vigil` is startBroker with auth and ACL against the bench database,
 * `aedes` is a bare Aedes on a net server. Started by bench/broker.ts with
 * one JSON argument; reports `{ port }` over IPC and exits when the parent goes.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { pino } from 'pino';
import { serviceAccounts, startBroker } from '@vigil/broker';
import { createPool } from '@vigil/ingest';
import type { ServerReady } from './protocol.js';

/** How bench/broker.ts describes the broker to start. */
export type ServerSpec = { kind: 'vigil'; databaseUrl: string; ingestSecret: string } | { kind: 'aedes' };

async function startVigil(spec: Extract<ServerSpec, { kind: 'vigil' }>): Promise<number> {
  const broker = await startBroker({
    port: 0,
    host: '127.0.0.1',
    pool: createPool(spec.databaseUrl),
    services: serviceAccounts({ ingest: spec.ingestSecret }),
    logger: pino({ level: 'silent' }),
    // every check stays on; only the rates are raised, since all load comes from one address and one publisher
    limits: { connectionsPerIpPerSecond: 1_000_000, messagesPerClientPerSecond: 10_000_000 },
  });
  return broker.port;
}

async function startBareAedes(): Promise<number> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
const port = spec.kind === 'vigil' ? await startVigil(spec) : await startBareAedes();
process.send?.({ port } satisfies ServerReady);
// before each memory reading: collect garbage, so RSS reflects what is held rather than when the last GC ran
process.on('message', (msg) => {
  if (msg !== 'gc') return;
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  process.send?.({ heapBytes: mem.heapUsed + mem.external });
});
// exit through process.exit, so --cpu-prof (VIGIL_BENCH_CPU_PROFILE_DIR) writes its profile
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
