import type pg from 'pg';
import { isValidId } from '@vigil/schemas';
import { BrokerError } from './errors.js';
import { hashSecret } from './secrets.js';
import { SERVICE_PREFIX } from './service-accounts.js';

/** Device classes the `devices` table accepts (migration 002_registry.sql). */
export const DEVICE_KINDS = ['tag', 'gate', 'camera', 'agent', 'sensor'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** What the broker needs to know about a device to authenticate and authorise it. */
export interface DeviceRecord {
  id: string;
  siteId: string;
  kind: string;
  secretHash: string;
  revoked: boolean;
}

/** A device to register (or re-register: the secret is replaced, a revocation lifted). */
export interface DeviceRegistration {
  id: string;
  siteId: string;
  kind: DeviceKind;
  subjectId?: string | null;
  secret: string;
  /** The edge agent (a device of kind 'agent' at the same site) that speaks for this device; null or absent: it connects itself. */
  gatewayId?: string | null;
}

/** Anything that runs a query: a pg.Pool (never a held client, see the embedded DB note). */
export type Queryable = Pick<pg.Pool, 'query'>;

function invalid(message: string): BrokerError {
  return new BrokerError('VIGIL_BROKER_REGISTRY', message);
}

/** Insert or update a device; only the scrypt hash of its secret is stored. */
export async function registerDevice(pool: Queryable, reg: DeviceRegistration): Promise<void> {
  if (!isValidId(reg.id)) throw invalid(`invalid device id ${JSON.stringify(reg.id)} / 设备编号无效`);
  if (reg.id.startsWith(SERVICE_PREFIX)) throw invalid(`device ids may not start with ${SERVICE_PREFIX} (reserved for services) / 设备编号不能以 ${SERVICE_PREFIX} 开头`);
  if (!isValidId(reg.siteId)) throw invalid(`invalid site id ${JSON.stringify(reg.siteId)} / 场所编号无效`);
  if (!(DEVICE_KINDS as readonly string[]).includes(reg.kind)) throw invalid(`invalid device kind ${JSON.stringify(reg.kind)} / 设备类型无效`);
  if (reg.secret.length < 16) throw invalid('device secret must be at least 16 characters / 设备密钥至少 16 个字符');
  const gatewayId = reg.gatewayId ?? null;
  if (gatewayId !== null) await checkGateway(pool, reg, gatewayId);
  const secretHash = await hashSecret(reg.secret);
  await pool.query(
    `INSERT INTO devices (id, site_id, kind, subject_id, secret_hash, revoked_at, gateway_id)
     VALUES ($1, $2, $3, $4, $5, NULL, $6)
     ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, kind = EXCLUDED.kind,
       subject_id = EXCLUDED.subject_id, secret_hash = EXCLUDED.secret_hash, revoked_at = NULL,
       gateway_id = EXCLUDED.gateway_id, credentials_changed_at = now()`,
    [reg.id, reg.siteId, reg.kind, reg.subjectId ?? null, secretHash, gatewayId],
  ).catch((err: unknown) => {
    // 23503 foreign_key_violation: the site is not in the registry
    if ((err as { code?: string }).code === '23503') throw invalid(`unknown site ${JSON.stringify(reg.siteId)} / 未知场所 ${reg.siteId}`);
    throw err;
  });
}

/** A gateway must be a registered agent at the same site, and not the device itself. */
async function checkGateway(pool: Queryable, reg: DeviceRegistration, gatewayId: string): Promise<void> {
  if (gatewayId === reg.id) throw invalid(`device ${reg.id} cannot be its own gateway / 设备不能作为自身的网关`);
  const gw = await findDevice(pool, gatewayId);
  if (gw === null) throw invalid(`unknown gateway ${JSON.stringify(gatewayId)} / 未知网关 ${gatewayId}`);
  if (gw.kind !== 'agent') throw invalid(`gateway ${gatewayId} is a ${gw.kind}, not an agent / 网关 ${gatewayId} 不是边缘代理`);
  if (gw.siteId !== reg.siteId) throw invalid(`gateway ${gatewayId} is at site ${gw.siteId}, not ${reg.siteId} / 网关与设备不在同一场所`);
}

/** The devices an edge agent speaks for (not revoked). */
export async function gatewayChildren(pool: Queryable, gatewayId: string): Promise<string[]> {
  const res = await pool.query<{ id: string }>('SELECT id FROM devices WHERE gateway_id = $1 AND revoked_at IS NULL ORDER BY id', [gatewayId]);
  return res.rows.map((r) => r.id);
}

/** Mark a device revoked (it can no longer connect); returns false if no such device. */
export async function revokeDevice(pool: Queryable, id: string): Promise<boolean> {
  const res = await pool.query('UPDATE devices SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [id]);
  return (res.rowCount ?? 0) > 0;
}

/** Look a device up by id, or null if it is not registered. */
export async function findDevice(pool: Queryable, id: string): Promise<DeviceRecord | null> {
  const res = await pool.query<{ id: string; site_id: string; kind: string; secret_hash: string; revoked: boolean }>(
    'SELECT id, site_id, kind, secret_hash, revoked_at IS NOT NULL AS revoked FROM devices WHERE id = $1',
    [id],
  );
  const row = res.rows[0];
  if (row === undefined) return null;
  return { id: row.id, siteId: row.site_id, kind: row.kind, secretHash: row.secret_hash, revoked: row.revoked };
}

/** Replace a device's secret; sessions opened with the old one are disconnected by the broker. Returns false if no such device. */
export async function rotateDeviceSecret(pool: Queryable, id: string, secret: string): Promise<boolean> {
  if (secret.length < 16) throw invalid('device secret must be at least 16 characters / 设备密钥至少 16 个字符');
  const secretHash = await hashSecret(secret);
  const res = await pool.query('UPDATE devices SET secret_hash = $2, credentials_changed_at = now() WHERE id = $1', [id, secretHash]);
  return (res.rowCount ?? 0) > 0;
}

/** A device whose sessions may no longer stand: revoked, or its credentials changed at `changedAt`. */
export interface CredentialChange {
  id: string;
  revoked: boolean;
  changedAt: Date;
}

/**
 * Devices revoked or given new credentials at or after `since`, for
 * disconnecting sessions that are already online; `checkedAt` is the
 * database's clock, to use as the next `since`.
 */
export async function credentialChangesSince(pool: Queryable, since: Date): Promise<{ changes: CredentialChange[]; checkedAt: Date }> {
  const res = await pool.query<{ id: string | null; revoked: boolean | null; changed_at: Date | null; now: Date }>(
    `SELECT d.id, d.revoked_at IS NOT NULL AS revoked, GREATEST(d.revoked_at, d.credentials_changed_at) AS changed_at, n.now
       FROM (SELECT now() AS now) n
       LEFT JOIN devices d ON d.revoked_at >= $1 OR d.credentials_changed_at >= $1`,
    [since],
  );
  const checkedAt = res.rows[0]?.now ?? since;
  const changes = res.rows.flatMap((r) => (r.id === null ? [] : [{ id: r.id, revoked: r.revoked === true, changedAt: r.changed_at! }]));
  return { changes, checkedAt };
}
