import { generate, generateSecret, generateURI, verify } from 'otplib';

/** A new TOTP secret (base32, 160 bits) and the otpauth:// URI an authenticator app scans. */
export function newTotpSecret(label: string, issuer = 'Vigil'): { secret: string; uri: string } {
  const secret = generateSecret();
  return { secret, uri: generateURI({ issuer, label, secret }) };
}

/**
 * Check a 6-digit TOTP code (RFC 6238, 30 s steps), allowing one step of clock
 * drift either way. Returns the time step it matched, so the caller can refuse
 * the same or an older step again (a code is single-use), or null.
 */
export async function checkTotp(secret: string, code: string, lastStep: number | null, nowMs = Date.now()): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const result = await verify({ secret, token: code, epoch: Math.floor(nowMs / 1000), epochTolerance: 30 });
  if (!result.valid) return null;
  const step = Math.floor(nowMs / 30_000) + ('delta' in result && typeof result.delta === 'number' ? result.delta : 0);
  if (lastStep !== null && step <= lastStep) return null;
  return step;
}

/** The current code for a secret (tests, the demo seed's log line). */
export function currentTotp(secret: string, nowMs = Date.now()): Promise<string> {
  return generate({ secret, epoch: Math.floor(nowMs / 1000) });
}
