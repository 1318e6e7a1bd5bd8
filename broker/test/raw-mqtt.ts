import { connect as netConnect, type Socket } from 'node:net';
import { generate, parser, type IConnectPacket, type Packet } from 'mqtt-packet';

/** A raw TCP connection to the broker, for bytes no MQTT client library would send. */
export interface RawConnection {
  socket: Socket;
  /** Packets the broker sent, in order. */
  packets: Packet[];
  /** Resolves when the broker (or we) closed the connection. */
  closed: Promise<void>;
}

/** Open a raw TCP connection; resolves once it is established. */
export function rawConnection(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    const packets: Packet[] = [];
    const p = parser({ protocolVersion: 4 });
    p.on('packet', (packet: Packet) => packets.push(packet));
    p.on('error', () => undefined);
    socket.on('data', (chunk) => p.parse(chunk));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({ socket, packets, closed });
    });
    socket.once('error', reject);
  });
}

/** Resolve with the first packet of `cmd` the broker sends, or undefined if it closes the connection first (or after `ms`). */
export async function nextPacket(conn: RawConnection, cmd: Packet['cmd'], ms = 10_000): Promise<Packet | undefined> {
  const found = () => conn.packets.find((p) => p.cmd === cmd);
  if (found() !== undefined || conn.socket.destroyed) return found();
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    const onData = () => {
      if (found() !== undefined) finish();
    };
    function finish() {
      clearTimeout(timer);
      conn.socket.off('data', onData);
      conn.socket.off('close', finish);
      resolve(found());
    }
    // after the parser's own 'data' listener, so the packet is already in the list
    conn.socket.on('data', onData);
    conn.socket.once('close', finish);
  });
}

/** A CONNECT packet for MQTT 3.1.1 [MQTT-3.1]. */
export function connectPacket(fields: Partial<IConnectPacket> & { clientId: string }): Buffer {
  return generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, ...fields });
}

/** Connect raw and send CONNECT; resolves with the CONNACK return code, or undefined when the broker closed without one. */
export async function rawConnect(port: number, fields: Partial<IConnectPacket> & { clientId: string }): Promise<{ conn: RawConnection; returnCode: number | undefined }> {
  const conn = await rawConnection(port);
  conn.socket.write(connectPacket(fields));
  const connack = await nextPacket(conn, 'connack');
  return { conn, returnCode: connack?.cmd === 'connack' ? connack.returnCode : undefined };
}

/** Close a raw connection and wait until it is gone. */
export async function closeRaw(conn: RawConnection): Promise<void> {
  conn.socket.destroy();
  await conn.closed;
}
