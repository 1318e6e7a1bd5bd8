import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP relay the test owns between an edge agent and the broker: closing it cuts the agent off the network. */
export interface Relay {
  port: number;
  /** Drop every relayed connection and refuse new ones. */
  cut(): void;
  /** Accept and relay connections again. */
  restore(): void;
  close(): Promise<void>;
}

/** Relay 127.0.0.1:<port> to 127.0.0.1:`targetPort`. */
export async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((down) => {
    if (!open) return void down.destroy();
    const up = connect(targetPort, '127.0.0.1');
    sockets.add(down).add(up);
    const end = () => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const cutAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      open = false;
      cutAll();
    },
    restore: () => void (open = true),
    close: () =>
      new Promise<void>((r) => {
        open = false;
        cutAll();
        server.close(() => r());
      }),
  };
}
