import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** `Algorithm.Argon2id` (a const enum, which isolated modules cannot read). */
const ARGON2ID = 2 as Algorithm;

/**
 * Argon2id (RFC 9106) through @node-rs/argon2: memory-hard, maintained, and its
 * npm package ships prebuilt binaries (no node-gyp, no install script, works offline).
 * Parameters: OWASP's first recommendation, 19 MiB, 2 passes, 1 lane.
 */
const PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

/** A few passwords every list of leaked ones starts with (NIST SP 800-63B: refuse known-bad values). */
const COMMON = new Set(['password1234', '123456789012', 'qwertyuiopas', 'administrator', 'passwordpassword', 'letmein12345', 'changeme1234', 'vigilvigil12']);

/** Hash a password to a PHC string (`$argon2id$v=19$m=...`). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/** Check a password against a stored PHC string; false on any mismatch or malformed hash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A hash of nothing, verified when the user does not exist so a miss takes as long as a hit. */
let dummy: Promise<string> | undefined;
export async function burnVerify(password: string): Promise<void> {
  dummy ??= hashPassword('vigil-dummy-password-for-timing');
  await verifyPassword(await dummy, password);
}

/**
 * Password rules (NIST SP 800-63B): long rather than complex — 12 to 128 characters,
 * not the user name, not a well-known password, not one character repeated.
 * Returns the reason in English and Chinese, or null when the password is acceptable.
 */
export function passwordProblem(password: string, username: string): string | null {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_LENGTH) return `at least ${MIN_PASSWORD_LENGTH} characters / 至少 ${MIN_PASSWORD_LENGTH} 个字符`;
  if (chars.length > MAX_PASSWORD_LENGTH) return `at most ${MAX_PASSWORD_LENGTH} characters / 最多 ${MAX_PASSWORD_LENGTH} 个字符`;
  const lower = password.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase())) return 'must not contain the user name / 不得包含用户名';
  if (new Set(chars).size < 4) return 'too few different characters / 不同字符太少';
  if (COMMON.has(lower)) return 'a well-known password / 常见密码，不安全';
  return null;
}
