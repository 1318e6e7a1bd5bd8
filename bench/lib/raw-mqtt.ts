/**
 * A minimal MQTT 3.1.1 client on a raw socket (mqtt-packet for the framing), so
 * the load generator costs far less CPU and memory per connection than the broker
 * it measures. Only what the benchmark needs: CONNECT, SUBSCRIBE, PUBLISH QoS 0/1, PUBACK.
 */
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type IConnackPacket, type IPublishPacket, type Packet } from 'mqtt-packet';

/** Credentials and session flags of one connection. */
export interface RawConnectOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  /** Keepalive in seconds; the broker drops the client after 1.5 × this without a packet [MQTT-3.1.2-24]. */
  keepaliveS: number;
  /** Give up on the CONNACK after this long, in ms. */
  connectTimeoutMs: number;
}

/** A connected client; `onPacket` sees every packet after the CONNACK. */
export interface RawClient {
  socket: Socket;
  onPacket: (packet: Packet) => void;
  close(): void;
}

/** Connect and resolve on CONNACK 0; reject with the return code, a closed socket or a timeout. */
export function rawConnect(opts: RawConnectOptions): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(opts.port, opts.host);
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const client: RawClient = { socket, onPacket: () => undefined, close: () => socket.destroy() };
    let connected = false;
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no CONNACK for ${opts.clientId} within ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs);
    parser.on('packet', (packet: Packet) => {
      if (connected) return client.onPacket(packet);
      if (packet.cmd !== 'connack') return fail(new Error(`expected CONNACK, got ${packet.cmd}`));
      const code = (packet as IConnackPacket).returnCode ?? 0;
      if (code !== 0) return fail(new Error(`CONNACK ${code} for ${opts.clientId}`));
      connected = true;
      clearTimeout(timer);
      resolve(client);
    });
    parser.on('error', (err: Error) => fail(err));
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', (err) => (connected ? undefined : fail(err)));
    socket.on('close', () => (connected ? undefined : fail(new Error(`connection closed before CONNACK for ${opts.clientId}`))));
    const connectPacket = {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: opts.clientId,
      keepalive: opts.keepaliveS,
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      ...(opts.password !== undefined ? { password: Buffer.from(opts.password) } : {}),
    } as Packet;
    socket.write(mqttPacket.generate(connectPacket));
  });
}

/** Subscribe to one filter and resolve on its SUBACK with the granted QoS (128 = refused). */
export function rawSubscribe(client: RawClient, filter: string, qos: 0 | 1): Promise<number> {
  return new Promise((resolve) => {
    const previous = client.onPacket;
    client.onPacket = (packet) => {
      if (packet.cmd !== 'suback') return previous(packet);
      client.onPacket = previous;
      const granted = packet.granted[0];
      resolve(typeof granted === 'number' ? granted : 128);
    };
    client.socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }] } as Packet));
  });
}

/**
 * PUBLISH bytes for `topic` and `payload`; for QoS 1 the packet identifier sits
 * in the last two bytes before the payload, so `withId` patches it without re-encoding.
 */
export function publishTemplate(topic: string, payload: Buffer, qos: 0 | 1): { bytes: Buffer; withId(id: number): Buffer } {
  const bytes = mqttPacket.generate({ cmd: 'publish', topic, payload, qos, messageId: qos === 1 ? 1 : undefined, retain: false, dup: false } as Packet);
  const idAt = bytes.length - payload.length - 2;
  return {
    bytes,
    withId(id) {
      const copy = Buffer.from(bytes);
      copy.writeUInt16BE(id, idAt);
      return copy;
    },
  };
}

/** PUBACK bytes for packet identifier `id` [MQTT-3.4]. */
export function pubackBytes(id: number): Buffer {
  return Buffer.from([0x40, 0x02, id >> 8, id & 0xff]);
}

/** A QoS 1 PUBLISH's identifier, or undefined for QoS 0. */
export function publishId(packet: IPublishPacket): number | undefined {
  return packet.qos > 0 ? packet.messageId : undefined;
}
