import { request } from './http';

/** The signed-in user, as `/api/auth/*` answers (routes/auth.ts `SessionState`). */
export interface SessionUser {
  id: string;
  username: string;
  display_name: string;
  role: string;
  org_unit: string;
  totp_enabled: boolean;
}

/** Where a sign-in stands: `mfa` owes the second factor (`next` says which step). */
export interface SessionState {
  stage: 'mfa' | 'full';
  next: 'totp' | 'enrol' | null;
  user: SessionUser;
  permissions: string[];
}

/** The current session, or null when there is none. */
export async function currentSession(): Promise<SessionState | null> {
  try {
    return await request<SessionState>('/api/auth/me', { quiet401: true });
  } catch (err) {
    if ((err as { status?: number }).status === 401) return null;
    throw err;
  }
}

/** Password step. */
export function login(username: string, password: string): Promise<SessionState> {
  return request<SessionState>('/api/auth/login', { method: 'POST', body: { username, password }, quiet401: true });
}

/** Second-factor step of a session at stage `mfa`. */
export function verifyTotp(code: string): Promise<SessionState> {
  return request<SessionState>('/api/auth/totp', { method: 'POST', body: { code }, quiet401: true });
}

/** End the session (the cookie is cleared by the server). */
export async function logout(): Promise<void> {
  await request<void>('/api/auth/logout', { method: 'POST', quiet401: true }).catch(() => undefined);
}

const RETURN_KEY = 'vigil.return';

/** Remember the page to come back to after signing in again. */
export function rememberReturn(hash: string): void {
  try {
    if (hash && !hash.startsWith('#/login')) sessionStorage.setItem(RETURN_KEY, hash);
  } catch {
    // storage disabled: the user lands on the queue instead
  }
}

/**
 * Where to go after signing in: a same-site `?next=/m/<token>` (the server's deep-link redirect,
 * notifications/routes.ts) first, then the remembered page, else the default route.
 */
export function afterLoginTarget(search: string): { href?: string; hash?: string } {
  const next = new URLSearchParams(search).get('next');
  // Only a path of this site: never `//host` or a scheme (no open redirect).
  if (next && /^\/m\/[A-Za-z0-9._~%-]+$/.test(next)) return { href: next };
  let hash: string | null = null;
  try {
    hash = sessionStorage.getItem(RETURN_KEY);
    sessionStorage.removeItem(RETURN_KEY);
  } catch {
    // nothing remembered
  }
  return hash ? { hash } : {};
}
