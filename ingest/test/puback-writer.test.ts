import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { ACK_LATER, pubackWriter, type PendingAck } from '../src/puback-writer.js';
import { startBroker, waitFor } from './helpers.js';

// A real Aedes broker and real MQTT.js clients: the application's own PUBACK reaches the broker even
// when MQTT.js's `connected` flag is wrong, and is never sent on a later connection than the message's.
let broker: Awaited<ReturnType<typeof startBroker>>;
const open: MqttClient[] = [];

before(async () => {
  broker = await startBroker();
});
after(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)));
  await broker.close();
});

/** A persistent QoS 1 subscriber that never lets MQTT.js ack; every message it gets, with its pending ack. */
async function subscriber(clientId: string): Promise<{ client: MqttClient; got: { payload: string; ack: PendingAck }[] }> {
  const client = mqtt.connect(broker.url, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 200 });
  open.push(client);
  const got: { payload: string; ack: PendingAck }[] = [];
  client.handleMessage = (packet, callback) => {
    const p = packet as IPublishPacket;
    if (p.cmd === 'publish') got.push({ payload: p.payload.toString(), ack: { messageId: p.messageId, stream: client.stream } });
    callback(ACK_LATER);
  };
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  await client.subscribeAsync('acks/#', { qos: 1 });
  return { client, got };
}

async function publish(payloads: string[]): Promise<void> {
  const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  for (const p of payloads) await pub.publishAsync('acks/t', p, { qos: 1 });
  await pub.endAsync();
}

/** Reconnect the session and return what the broker sends again within a second. */
async function redelivered(clientId: string, client: MqttClient): Promise<string[]> {
  await client.endAsync();
  const again = await subscriber(clientId);
  await new Promise((r) => setTimeout(r, 1_000));
  return again.got.map((g) => g.payload).sort();
}

test('acknowledged while MQTT.js believes it is offline: the broker still takes the PUBACK', async () => {
  const sub = await subscriber('acks-flag');
  await publish(['one', 'two']);
  await waitFor('both delivered', () => sub.got.length === 2);
  // the state seen after a broker restart: a working connection with the flag down. MQTT.js's own
  // _sendPacket would keep the PUBACK for the next CONNACK; the writer writes it on the socket
  sub.client.connected = false;
  pubackWriter(sub.client)([sub.got.find((g) => g.payload === 'one')!.ack]);
  sub.client.connected = true;
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await redelivered('acks-flag', sub.client), ['two'], 'only the unacknowledged one comes again');
});

test('a message from an earlier connection is not acknowledged on the new one', async () => {
  const sub = await subscriber('acks-stale');
  await publish(['old']);
  await waitFor('delivered', () => sub.got.length === 1);
  const stale = sub.got[0]!.ack;
  sub.got.length = 0;
  const reconnected = new Promise<void>((resolve) => sub.client.once('connect', () => resolve()));
  (sub.client.stream as unknown as { destroy(): void }).destroy();
  await reconnected;
  await waitFor('sent again on the new connection', () => sub.got.some((g) => g.payload === 'old'));
  pubackWriter(sub.client)([stale]); // the identifier of the old connection: nothing written
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await redelivered('acks-stale', sub.client), ['old'], 'still unacknowledged, so sent again');
});
