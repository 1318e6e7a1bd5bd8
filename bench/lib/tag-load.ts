/**
 * One load process of bench/alert-latency.ts: connects its tags to the broker
 * (one MQTT client and identity each), then each tag publishes a fix every
 * `intervalMs` at its own phase, far from every zone, until told 'stop';
 * reports 'ready' and, at the end, how many fixes it published, over IPC.
 * The spec comes over IPC too (10,000 device ids would not fit a command line).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, newMessage } from '@vigil/schemas';

export interface TagLoadSpec {
  url: string;
  site: string;
  devices: string[];
  secret: string;
  intervalMs: number;
}

const spec = await new Promise<TagLoadSpec>((resolve) => process.once('message', (m: TagLoadSpec) => resolve(m)));
const clients: MqttClient[] = [];
for (let i = 0; i < spec.devices.length; i += 200) {
  const batch = spec.devices.slice(i, i + 200);
  clients.push(
    ...(await Promise.all(
      batch.map((dev) => mqtt.connectAsync(spec.url, { protocolVersion: 4, clientId: dev, username: dev, password: spec.secret, clean: true, reconnectPeriod: 0, keepalive: 600 })),
    )),
  );
}
let published = 0;
const timers: NodeJS.Timeout[] = [];
process.send!({ ready: true });
process.on('message', (m: { go?: boolean; stop?: boolean }) => {
  if (m.go) {
    clients.forEach((c, i) => {
      const dev = spec.devices[i]!;
      const topic = deviceTopic(spec.site, dev, 'telemetry');
      let seq = 0;
      const send = () => {
        // ~20 km from the demo's zones: load only, no alert.
        const body = { lat: 30.4 + (i % 100) * 1e-4, lon: 120.35 + Math.floor(i / 100) * 1e-4, acc_m: 8 };
        c.publish(topic, JSON.stringify(newMessage('tag.fix', dev, seq++, body)), { qos: 1 }, () => undefined);
        published++;
      };
      timers.push(
        setTimeout(() => {
          send();
          timers.push(setInterval(send, spec.intervalMs));
        }, Math.random() * spec.intervalMs),
      );
    });
  }
  if (m.stop) {
    for (const t of timers) clearInterval(t);
    Promise.all(clients.map((c) => c.endAsync())).finally(() => {
      process.send!({ published }, () => process.exit(0));
    });
  }
});
