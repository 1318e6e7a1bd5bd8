import type { Pool } from 'pg';
import type { Role } from '../access/roles.js';
import { CommandCenterError } from '../errors.js';
import { hashPassword, passwordProblem } from './passwords.js';

/** A user as the API shows it (never the hashes or the TOTP secret). */
export interface PublicUser {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  org_unit: string;
  totp_enabled: boolean;
  locked_until: number | null;
  disabled: boolean;
}

/** Everything the login path needs. */
export interface UserRecord extends PublicUser {
  passwordHash: string;
  totpSecret: string | null;
  totpLastStep: number | null;
  failedLogins: number;
  lockedUntil: Date | null;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  org_unit_id: string;
  password_hash: string;
  totp_secret: string | null;
  totp_enabled: boolean;
  totp_last_step: string | null;
  failed_logins: number;
  locked_until: Date | null;
  disabled_at: Date | null;
}

const COLUMNS = 'id, username, display_name, role, org_unit_id, password_hash, totp_secret, totp_enabled, totp_last_step, failed_logins, locked_until, disabled_at';

function toRecord(r: UserRow): UserRecord {
  return {
    id: r.id,
    username: r.username,
    display_name: r.display_name,
    role: r.role,
    org_unit: r.org_unit_id,
    totp_enabled: r.totp_enabled,
    locked_until: r.locked_until && r.locked_until.getTime() > Date.now() ? r.locked_until.getTime() : null,
    disabled: r.disabled_at !== null,
    passwordHash: r.password_hash,
    totpSecret: r.totp_secret,
    totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
    failedLogins: r.failed_logins,
    lockedUntil: r.locked_until,
  };
}

/** The public part of a user record. */
export function publicUser(u: UserRecord): PublicUser {
  return {
    id: u.id,
    username: u.username,
    display_name: u.display_name,
    role: u.role,
    org_unit: u.org_unit,
    totp_enabled: u.totp_enabled,
    locked_until: u.locked_until,
    disabled: u.disabled,
  };
}

export async function findUserByName(pool: Pool, username: string): Promise<UserRecord | null> {
  const { rows } = await pool.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE lower(username) = lower($1)`, [username]);
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function findUserById(pool: Pool, id: string): Promise<UserRecord | null> {
  const { rows } = await pool.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** A new account. */
export interface NewUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  orgUnitId: string;
  password: string;
  /** Enrolled TOTP secret (seeding and tests); users normally enrol after their first login. */
  totpSecret?: string;
}

/** Create a user after checking the password rules; the password is stored only as its Argon2id hash. */
export async function createUser(pool: Pool, u: NewUser): Promise<void> {
  const problem = passwordProblem(u.password, u.username);
  if (problem) throw new CommandCenterError('VIGIL_CC_VALIDATION', `password: ${problem}`, 'password');
  const passwordHash = await hashPassword(u.password);
  try {
    await pool.query(
      `INSERT INTO users (id, username, display_name, role, org_unit_id, password_hash, totp_secret, totp_enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [u.id, u.username, u.displayName, u.role, u.orgUnitId, passwordHash, u.totpSecret ?? null, u.totpSecret !== undefined],
    );
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '23505') throw new CommandCenterError('VIGIL_CC_CONFLICT', `user ${u.username} or id ${u.id} exists / 用户已存在`, 'username');
    if (code === '23503') throw new CommandCenterError('VIGIL_CC_VALIDATION', `org_unit: unknown unit ${u.orgUnitId} / 未知组织单位`, 'org_unit');
    throw err;
  }
}

/** Replace a password (rules checked); ends every session of the user. */
export async function setPassword(pool: Pool, user: { id: string; username: string }, password: string): Promise<void> {
  const problem = passwordProblem(password, user.username);
  if (problem) throw new CommandCenterError('VIGIL_CC_VALIDATION', `password: ${problem}`, 'password');
  const passwordHash = await hashPassword(password);
  await pool.query('UPDATE users SET password_hash = $2, password_changed_at = now(), failed_logins = 0, locked_until = NULL WHERE id = $1', [user.id, passwordHash]);
  await pool.query('UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL', [user.id]);
}

/** Count a failed login; at `threshold` failures the account locks until now + `lockMs`. Returns true if it is now locked. */
export async function recordLoginFailure(pool: Pool, userId: string, threshold: number, lockMs: number): Promise<boolean> {
  const { rows } = await pool.query<{ locked: boolean }>(
    `UPDATE users SET failed_logins = failed_logins + 1,
            locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3::double precision / 1000) ELSE locked_until END
      WHERE id = $1
      RETURNING locked_until IS NOT NULL AND locked_until > now() AS locked`,
    [userId, threshold, lockMs],
  );
  return rows[0]?.locked ?? false;
}

/** A successful login clears the failure count and any expired lock. */
export async function recordLoginSuccess(pool: Pool, userId: string, totpStep: number | null): Promise<void> {
  await pool.query('UPDATE users SET failed_logins = 0, locked_until = NULL, totp_last_step = COALESCE($2, totp_last_step) WHERE id = $1', [userId, totpStep]);
}
