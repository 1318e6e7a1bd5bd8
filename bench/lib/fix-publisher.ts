/**
 * One publisher process of bench/ingest.ts: connects its registered devices to
 * the Vigil broker (one MQTT client each), builds its share of tag.fix
 * messages up front, then on 'go' publishes them at QoS 1 with at most
 * `windowPerClient` unacknowledged per client, and reports `{ done }` over IPC.
 */
import { deviceTopic, newMessage } from '@vigil/schemas';
import mqtt, { type MqttClient } from 'mqtt';

/** What bench/ingest.ts tells each publisher process. */
export interface FixPublisherSpec {
  url: string;
  site: string;
  devices: string[];
  secret: string;
  /** Fixes this process sends, spread evenly over its devices. */
  fixes: number;
  windowPerClient: number;
  /** Device clock of the first fix, in ms; each process gets its own range so no two fixes collide. */
  t0Ms: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as FixPublisherSpec;

const clients: MqttClient[] = await Promise.all(
  spec.devices.map((dev) =>
    mqtt.connectAsync(spec.url, { protocolVersion: 4, clientId: dev, username: dev, password: spec.secret, clean: true, reconnectPeriod: 0, keepalive: 600 }),
  ),
);
// Prebuilt, so the publishers spend their CPU on MQTT, not on JSON, while the clock runs.
const perClient = clients.map((_, c) => {
  const dev = spec.devices[c]!;
  const n = Math.floor(spec.fixes / clients.length) + (c < spec.fixes % clients.length ? 1 : 0);
  return Array.from({ length: n }, (_, seq) =>
    JSON.stringify(newMessage('tag.fix', dev, seq, { lat: 31.2 + seq * 1e-6, lon: 121.4, acc_m: 5, sats: 9, src: 'gps' }, spec.t0Ms + seq * 10)),
  );
});

async function publishAll(client: MqttClient, topic: string, payloads: string[]): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < payloads.length) await client.publishAsync(topic, payloads[next++]!, { qos: 1 });
  };
  await Promise.all(Array.from({ length: spec.windowPerClient }, lane));
}

process.send?.({ ready: true });
process.on('message', (msg) => {
  if (msg !== 'go') return;
  void Promise.all(clients.map((client, c) => publishAll(client, deviceTopic(spec.site, spec.devices[c]!, 'telemetry'), perClient[c]!))).then(
    async () => {
      process.send?.({ done: true });
      await Promise.all(clients.map((c) => c.endAsync()));
    },
    (err: unknown) => process.send?.({ error: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
