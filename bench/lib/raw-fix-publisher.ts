/**
 * The lean publisher process of bench/ingest.ts (VIGIL_BENCH_PUBLISHER=raw, the
 * default): the same devices, fixes and window as fix-publisher.ts, but each
 * PUBLISH is encoded with mqtt-packet before the clock starts and written to
 * the device's own TCP connection as it is acknowledged. Real tags run on their
 * own hardware; on this shared 2-core machine the publishers' CPU is taken from
 * the broker and ingest, so the less they use the closer the figure is to a
 * deployment. Same MQTT on the wire: CONNECT with the device's credentials,
 * QoS 1, one packet id per message in flight, PUBACK counted per device (read
 * without a parser once connected; the fixes a read's PUBACKs make room for
 * leave in one write).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { deviceTopic, newMessage } from '@vigil/schemas';
import { generate, parser, type Packet } from 'mqtt-packet';
import type { FixPublisherSpec } from './fix-publisher.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as FixPublisherSpec;
const url = new URL(spec.url);

interface Device {
  socket: Socket;
  packets: Buffer[];
  sent: number;
  acked: number;
  done: () => void;
}

/** Connect one device; resolves on CONNACK 0. */
function connectDevice(dev: string, packets: Buffer[]): Promise<Device> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: url.hostname, port: Number(url.port) });
    socket.setNoDelay(true);
    const d: Device = { socket, packets, sent: 0, acked: 0, done: () => undefined };
    // After the CONNACK the broker sends a device only PUBACKs, four fixed bytes each [MQTT-3.4]; they are
    // counted here without mqtt-packet's parser and the fixes they make room for go out in one write.
    // Anything else switches to the parser for the rest of the connection.
    let fast = false;
    // where the next byte falls in a PUBACK: 0 its type, 1 its length, 2 and 3 its packet identifier
    let at = 0;
    const p = parser({ protocolVersion: 4 });
    const acked = (n: number) => {
      d.acked += n;
      const next = Math.min(n, d.packets.length - d.sent);
      if (next === 1) socket.write(d.packets[d.sent++]!);
      else if (next > 1) {
        socket.cork();
        for (let i = 0; i < next; i++) socket.write(d.packets[d.sent++]!);
        socket.uncork();
      }
      if (d.acked === d.packets.length) d.done();
    };
    p.on('packet', (packet: Packet) => {
      if (packet.cmd === 'connack') {
        if (packet.returnCode !== 0) reject(new Error(`${dev}: CONNACK ${packet.returnCode}`));
        else {
          fast = true;
          resolve(d);
        }
      } else if (packet.cmd === 'puback') acked(1);
    });
    p.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (!fast) return void p.parse(chunk);
      let n = 0;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (at === 0 && byte !== 0x40) {
          // not a PUBACK: mqtt-packet from here on
          fast = false;
          p.parse(chunk.subarray(i));
          break;
        }
        if (at === 1 && byte !== 0x02) {
          process.send?.({ error: `${dev}: a PUBACK with remaining length ${byte}` });
          return void socket.destroy();
        }
        if (++at === 4) {
          at = 0;
          n++;
        }
      }
      if (n > 0) acked(n);
    });
    socket.once('error', reject);
    socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: dev, keepalive: 600, username: dev, password: Buffer.from(spec.secret) }));
  });
}

// Prebuilt, so the publishers spend their CPU on the socket, not on JSON or encoding, while the clock runs.
const devices = await Promise.all(
  spec.devices.map((dev, c) => {
    const n = Math.floor(spec.fixes / spec.devices.length) + (c < spec.fixes % spec.devices.length ? 1 : 0);
    const topic = deviceTopic(spec.site, dev, 'telemetry');
    const packets = Array.from({ length: n }, (_, seq) =>
      generate({
        cmd: 'publish',
        topic,
        payload: JSON.stringify(newMessage('tag.fix', dev, seq, { lat: 31.2 + seq * 1e-6, lon: 121.4, acc_m: 5, sats: 9, src: 'gps' }, spec.t0Ms + seq * 10)),
        qos: 1,
        messageId: (seq % 65_535) + 1,
        retain: false,
        dup: false,
      }),
    );
    return connectDevice(dev, packets);
  }),
);

function publishAll(d: Device): Promise<void> {
  if (d.packets.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    d.done = resolve;
    // the first window in one write; then one more per PUBACK
    const first = Math.min(spec.windowPerClient, d.packets.length);
    d.socket.write(Buffer.concat(d.packets.slice(0, first)));
    d.sent = first;
  });
}

process.send?.({ ready: true });
process.on('message', (msg) => {
  if (msg !== 'go') return;
  void Promise.all(devices.map(publishAll)).then(
    () => {
      process.send?.({ done: true });
      for (const d of devices) d.socket.end(generate({ cmd: 'disconnect' }));
    },
    (err: unknown) => process.send?.({ error: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
