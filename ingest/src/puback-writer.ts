import type { MqttClient } from 'mqtt';

/**
 * Given to MQTT.js's handleMessage callback so it does not send the PUBACK itself: for QoS 1 it skips
 * the ack when the callback gets an error (lib/handlers/publish.js) and goes on to the next message.
 */
export const ACK_LATER = new Error('PUBACK sent by the application once the message is handled');

/** A QoS 1 message to acknowledge, with the connection it arrived on (`client.stream` then). */
export interface PendingAck {
  messageId?: number | undefined;
  stream: unknown;
}

/**
 * Write the PUBACKs of handled QoS 1 messages, in the order given, as one write on MQTT.js's own stream;
 * only those that came on the current connection, and only while that connection is open.
 *
 * Why not MQTT.js's own PUBACK: it sends it through `_sendPacket`, which, whenever its `connected` flag
 * is false, keeps the packet for the next CONNACK and holds the handleMessage chain until then. After a
 * broker restart the flag was seen false on a connection that was up (the fault suite on the Redis
 * layout: analytics' first PUBACK on the new connection waited for ever and so did every message behind
 * it, its whole backlog left unacknowledged). A message that arrived on an earlier connection is not
 * acknowledged on this one: the broker sends it again itself, and its packet identifier may by now name
 * another message. MQTT.js has no public ack call for MQTT 3.1.1 (customHandleAcks is MQTT 5 only), and a
 * PUBACK of MQTT 3.1.1 (protocolVersion 4) is four fixed bytes [MQTT-3.4]: type 4 with flags 0,
 * remaining length 2, the packet identifier big-endian.
 */
export function pubackWriter(client: MqttClient): (acks: readonly PendingAck[]) => void {
  return (acks) => {
    const stream = client.stream as (NodeJS.WritableStream & { destroyed?: boolean }) | undefined;
    if (stream === undefined || stream.destroyed === true || !stream.writable) return;
    let n = 0;
    for (const a of acks) if (a.messageId !== undefined && a.stream === stream) n++;
    if (n === 0) return;
    const bytes = Buffer.allocUnsafe(4 * n);
    let at = 0;
    for (const a of acks) {
      if (a.messageId === undefined || a.stream !== stream) continue;
      bytes[at] = 0x40;
      bytes[at + 1] = 0x02;
      bytes.writeUInt16BE(a.messageId, at + 2);
      at += 4;
    }
    stream.write(bytes);
  };
}

/**
 * Acknowledge each QoS 1 message as it arrives, as MQTT.js does by default, but through pubackWriter, so
 * a wrong `connected` flag cannot stop the client reading (for subscribers that have nothing to commit
 * first: the command centre's live feeds). QoS 0 and 2 are left to MQTT.js.
 */
export function ackOnReceipt(client: MqttClient): void {
  const write = pubackWriter(client);
  client.handleMessage = (packet, done) => {
    if (packet.cmd === 'publish' && packet.qos === 1) {
      write([{ messageId: packet.messageId, stream: client.stream }]);
      return done(ACK_LATER);
    }
    done();
  };
}
