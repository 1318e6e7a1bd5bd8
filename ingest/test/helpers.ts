import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes } from 'aedes';
// pg-server.ts imports freePort/waitFor from here; the cycle is safe as both only call each other at run time.
import { pgServerUnavailable, startPgServer } from './pg-server.js';

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Poll `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A real Aedes broker on a free port, no auth. */
export async function startBroker(): Promise<{ broker: Aedes; url: string; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    broker,
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A throwaway PostgreSQL 15 server, or the reason it cannot run here. */
export type RealPostgres = { url: string; stop(): Promise<void> } | { skip: string };

/** A PostgreSQL 15 server in a temp folder (see pg-server.ts), or the reason there cannot be one. */
export async function startRealPostgres(): Promise<RealPostgres> {
  const reason = pgServerUnavailable();
  if (reason) return { skip: reason };
  const server = await startPgServer();
  return { url: server.url, stop: () => server.destroy() };
}
