import type { Client } from 'aedes';
import type { ConnectPacket } from 'aedes';
import { AuthError } from '../errors.js';

/**
 * Clients whose CONNECT had an empty client id with clean session 0. Aedes
 * invents an id (`aedes_<uuid>`) before authenticate runs, so preConnect, which
 * still sees the packet, notes them here. Weak, so it holds no closed client.
 */
const emptyIdWithSession = new WeakSet<Client>();

/** Note, from the CONNECT packet, whether the client asked for a session under an empty id. */
export function noteEmptyClientId(client: Client, packet: Pick<ConnectPacket, 'clientId' | 'clean'>): void {
  if (packet.clean === false && (packet.clientId ?? '') === '') emptyIdWithSession.add(client);
}

/**
 * Refuse a CONNECT that asked for a persistent session without a client id:
 * the server must answer CONNACK 2 (identifier rejected) and close [MQTT-3.1.3-8];
 * with clean session 1 an empty id is allowed and the server assigns one [MQTT-3.1.3-6].
 */
export function refuseEmptyClientIdWithSession(client: Client): void {
  if (emptyIdWithSession.has(client)) {
    throw new AuthError(2, 'empty-client-id-with-session', 'a persistent session needs a client id / 持久会话需要客户端标识');
  }
}
