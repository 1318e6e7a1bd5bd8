import { request } from '../http';

/** A user as `GET /api/users` lists them (routes/users.ts `PublicUser`). */
export interface AdminUser {
  id: string;
  username: string;
  display_name: string;
  role: string;
  org_unit: string;
  totp_enabled: boolean;
  locked_until: number | null;
  disabled: boolean;
}

/** A device as `GET /api/devices` lists them (routes/devices.ts `Device`). */
export interface AdminDevice {
  id: string;
  site: string;
  kind: string;
  subject: string | null;
  revoked: boolean;
  credentials_changed_ts: number;
  online: boolean | null;
}

/** The roles of access/roles.ts, in the order the menus list them. */
export const ROLE_IDS = ['operator', 'officer', 'supervisor', 'administrator', 'auditor'] as const;
/** Device kinds of broker/src/registry.ts. */
export const DEVICE_KIND_IDS = ['tag', 'gate', 'camera', 'agent', 'sensor'] as const;

export const listUsers = (): Promise<{ users: AdminUser[] }> => request('/api/users');
export const listDevices = (): Promise<{ devices: AdminDevice[] }> => request('/api/devices');
export const listUnits = (): Promise<{ units: { id: string; name: { en: string; 'zh-CN': string } }[] }> => request('/api/org/units');
