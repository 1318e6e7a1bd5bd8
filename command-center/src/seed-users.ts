import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Role } from './access/roles.js';
import { newTotpSecret } from './auth/totp.js';
import { createUser } from './auth/users.js';

/** Options of the first-start accounts; unset passwords and secrets are generated. */
export interface DemoUsersOptions {
  adminUsername?: string;
  adminPassword?: string;
  /** The administrator's TOTP secret (base32); administrators must use a second factor. */
  adminTotpSecret?: string;
  operatorUsername?: string;
  operatorPassword?: string;
}

/** An account made at first start, with the credentials to show once. */
export interface SeededUser {
  role: Role;
  username: string;
  password: string;
  orgUnit: string;
  totpSecret?: string;
  totpUri?: string;
}

const generated = (): string => randomBytes(12).toString('base64url');

/**
 * First start: when there is no administrator yet, make an administrator (with a TOTP secret)
 * and an operator at the top of the organisation tree, so `npm start` can be signed into.
 * Returns them, to print once; returns [] when an administrator exists or the tree is still empty.
 */
export async function seedDemoUsers(pool: Pool, opts: DemoUsersOptions = {}): Promise<SeededUser[]> {
  // First start means no administrator yet (a demo seed may have put officers in already).
  const { rows: admins } = await pool.query("SELECT 1 FROM users WHERE role = 'administrator' LIMIT 1");
  if (admins.length > 0) return [];
  const { rows: roots } = await pool.query<{ id: string }>('SELECT id FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1');
  const root = roots[0]?.id;
  if (root === undefined) return [];
  const adminUsername = opts.adminUsername ?? 'admin';
  const totp = opts.adminTotpSecret ? { secret: opts.adminTotpSecret, uri: newTotpSecret(adminUsername).uri.replace(/secret=[A-Z2-7]+/, `secret=${opts.adminTotpSecret}`) } : newTotpSecret(adminUsername);
  const users: SeededUser[] = [
    { role: 'administrator', username: adminUsername, password: opts.adminPassword ?? generated(), orgUnit: root, totpSecret: totp.secret, totpUri: totp.uri },
    { role: 'operator', username: opts.operatorUsername ?? 'operator', password: opts.operatorPassword ?? generated(), orgUnit: root },
  ];
  const made: SeededUser[] = [];
  for (const u of users) {
    try {
      await createUser(pool, {
        id: `u-${u.username.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 64),
        username: u.username,
        displayName: u.role === 'administrator' ? 'Administrator / 管理员' : 'Operator / 值班员',
        role: u.role,
        orgUnitId: u.orgUnit,
        password: u.password,
        ...(u.totpSecret ? { totpSecret: u.totpSecret } : {}),
      });
      made.push(u);
    } catch (err) {
      // The name is taken already (say, by a demo seed): keep that account, make no other.
      if ((err as { code?: string }).code !== 'VIGIL_CC_CONFLICT') throw err;
    }
  }
  return made;
}
