import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Principal } from '../acl.js';
import { canPublish, principalName } from '../acl.js';
import { createAuthCache } from '../auth-cache.js';
import { AuthError, BrokerError } from '../errors.js';
import type { DeviceRecord } from '../registry.js';
import { hashSecret, verifySecret } from '../secrets.js';
import { SERVICE_PREFIX } from '../service-accounts.js';
import { hasTopicSpecials } from '../topic-filter.js';
import { refuseEmptyClientIdWithSession } from './client-id.js';
import type { HookContext } from './context.js';
import { recordRefusal } from './context.js';

type Authenticate = NonNullable<AedesOptions['authenticate']>;

const BAD_CREDENTIALS = 'bad username or password / 用户名或密码错误';

/** Equal-time comparison of two strings of any length (hashing first hides the length). */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** A device's principal; an edge agent's carries the devices it speaks for. */
async function devicePrincipal(ctx: HookContext, device: DeviceRecord): Promise<Principal> {
  if (device.kind !== 'agent') return { kind: 'device', id: device.id, site: device.siteId };
  let children: string[];
  try {
    children = await ctx.registry.gatewayChildren(device.id);
  } catch (err) {
    ctx.log.error({ err, device: device.id }, 'gateway device lookup failed / 网关设备查询失败');
    throw new AuthError(3, 'registry-unavailable', 'server unavailable / 服务器不可用');
  }
  return { kind: 'device', id: device.id, site: device.siteId, children: new Set(children) };
}

/** extKeyUsage id-kp-clientAuth [RFC 5280 4.2.1.12]. */
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/**
 * The device id a TLS client proved with its certificate: the subject CN of a
 * certificate that verified against the site CA (`socket.authorized`). Plain TCP,
 * WebSocket, no certificate, a certificate from another CA or one not meant for
 * client authentication give no identity (undefined).
 */
export function certificateIdentity(client: Client): string | undefined {
  // aedes keeps the connection stream it was handed: the TLSSocket for mqtts, a Duplex for ws, a net.Socket for tcp
  const conn: unknown = client.conn;
  if (!(conn instanceof TLSSocket) || !conn.authorized) return undefined;
  const cert = conn.getPeerCertificate();
  const cn: unknown = cert.subject?.CN;
  // several CNs would be ambiguous; take none
  if (typeof cn !== 'string' || cn === '') return undefined;
  const usage = cert.ext_key_usage;
  if (usage !== undefined && !usage.includes(CLIENT_AUTH_OID)) return undefined;
  return cn;
}

/**
 * Authenticate a CONNECT: the username is a device id (checked against the
 * registry) or a service account; the password is its secret. Every failure of
 * credentials answers CONNACK 4 alike, so a caller cannot tell an unknown
 * device from a wrong secret or a revoked one; the log says which.
 * On TLS, a client certificate issued by the site CA names the device (its CN)
 * instead: no password is needed, and a username, if given, must equal the CN.
 */
export function createAuthenticate(ctx: HookContext): Authenticate {
  // unknown devices still pay for one scrypt, so timing does not reveal which ids exist
  let decoy: Promise<string> | undefined;
  // a reconnect within the TTL skips scrypt (see auth-cache.ts)
  const verified = createAuthCache();
  const decoyHash = () => (decoy ??= hashSecret(randomUUID()));

  async function identify(client: Client, username: string | undefined, password: Buffer | undefined): Promise<Principal> {
    // ids become topic levels and session keys; wildcards or separators in them are never legitimate [MQTT-4.7.1-1]
    refuseEmptyClientIdWithSession(client);
    if (hasTopicSpecials(client.id)) throw new AuthError(2, 'client-id-specials', 'client id may not contain + # / / 客户端标识不能包含 + # /');
    const certId = certificateIdentity(client);
    if (certId !== undefined) return identifyByCertificate(certId, username);
    if (username === undefined || username === '') {
      if (ctx.allowAnonymous) return { kind: 'anonymous' };
      throw new AuthError(4, 'no-credentials', BAD_CREDENTIALS);
    }
    if (hasTopicSpecials(username)) throw new AuthError(4, 'username-specials', BAD_CREDENTIALS);
    const secret = password?.toString('utf8') ?? '';
    if (username.startsWith(SERVICE_PREFIX)) {
      const account = ctx.services.get(username);
      const ok = sameSecret(secret, account?.secret ?? randomUUID());
      if (account === undefined) throw new AuthError(4, 'unknown-service-account', BAD_CREDENTIALS);
      if (!ok) throw new AuthError(4, 'wrong-secret', BAD_CREDENTIALS);
      return { kind: 'service', account };
    }
    let device;
    try {
      device = await ctx.registry.findDevice(username);
    } catch (err) {
      ctx.log.error({ err, device: username }, 'device registry lookup failed / 设备登记查询失败');
      throw new AuthError(3, 'registry-unavailable', 'server unavailable / 服务器不可用');
    }
    if (device === null) {
      await verifySecret(secret, await decoyHash());
      throw new AuthError(4, 'unknown-device', BAD_CREDENTIALS);
    }
    let ok: boolean;
    try {
      ok = await verified.verify(device.id, secret, device.secretHash, verifySecret);
    } catch (err) {
      if (!(err instanceof BrokerError)) throw err;
      ctx.log.error({ err, device: username }, 'stored secret hash is malformed / 存储的密钥哈希格式错误');
      throw new AuthError(3, 'malformed-secret-hash', 'server unavailable / 服务器不可用');
    }
    if (!ok) throw new AuthError(4, 'wrong-secret', BAD_CREDENTIALS);
    if (device.revoked) {
      verified.forget(device.id);
      throw new AuthError(4, 'revoked', BAD_CREDENTIALS);
    }
    ctx.secretHashes.set(client, device.secretHash);
    return devicePrincipal(ctx, device);
  }

  async function identifyByCertificate(certId: string, username: string | undefined): Promise<Principal> {
    if (hasTopicSpecials(certId)) throw new AuthError(4, 'cert-cn-specials', BAD_CREDENTIALS);
    if (username !== undefined && username !== '' && username !== certId) throw new AuthError(4, 'cert-username-mismatch', BAD_CREDENTIALS);
    let device;
    try {
      device = await ctx.registry.findDevice(certId);
    } catch (err) {
      ctx.log.error({ err, device: certId }, 'device registry lookup failed / 设备登记查询失败');
      throw new AuthError(3, 'registry-unavailable', 'server unavailable / 服务器不可用');
    }
    if (device === null) throw new AuthError(4, 'cert-unknown-device', BAD_CREDENTIALS);
    if (device.revoked) throw new AuthError(4, 'cert-revoked', BAD_CREDENTIALS);
    return devicePrincipal(ctx, device);
  }

  function admit(client: Client, principal: Principal): void {
    const holder = ctx.clientIds.get(client.id);
    // aedes closes an older connection with the same client id [MQTT-3.1.4-2]; only its owner may do that
    if (holder !== undefined && holder.client !== client && holder.name !== principalName(principal)) {
      throw new AuthError(2, 'client-id-in-use', 'client id in use by another account / 客户端标识已被其他账户使用');
    }
    const will = ctx.willTopics.get(client);
    if (will !== undefined) {
      const decision = canPublish(principal, will);
      // a will is a publish made later on the client's behalf, so it obeys the same rules; refuse now, not at disconnect
      if (!decision.ok) throw new AuthError(5, `will-${decision.rule}`, 'will topic not authorized / 遗嘱主题未获授权');
    }
  }

  return (client, username, password, done) => {
    const decide = async (): Promise<Principal> => {
      const principal = await identify(client, username, password);
      admit(client, principal);
      return principal;
    };
    decide().then(
      (principal) => {
        ctx.principals.set(client, principal);
        ctx.log.info({ device: principalName(principal), clientId: client.id }, 'client authenticated / 客户端已认证');
        done(null, true);
      },
      (err: unknown) => {
        const authErr = err instanceof AuthError ? err : new AuthError(3, 'internal-error', 'server unavailable / 服务器不可用');
        if (!(err instanceof AuthError)) ctx.log.error({ err }, 'authenticate failed / 认证出错');
        recordRefusal(ctx, 'auth', { client, device: username ?? certificateIdentity(client), topic: ctx.willTopics.get(client), rule: authErr.rule });
        done(authErr as unknown as AuthenticateError, false);
      },
    );
  };
}
