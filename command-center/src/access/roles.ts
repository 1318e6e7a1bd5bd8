/** The five roles of PRODUCT.md "Who uses it". */
export const ROLES = ['administrator', 'supervisor', 'operator', 'officer', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Every permission a route can ask for. A route names exactly one; a role either
 * has it or the request is a 403 before anything is read. Which objects the
 * permission reaches is the separate matter of scope (`scope.ts`).
 */
export const PERMISSIONS = [
  'org.read',
  'org.write',
  'users.read',
  'users.write',
  'subjects.read',
  'subjects.write',
  'devices.read',
  'devices.write',
  'devices.command',
  'zones.read',
  'zones.write',
  'rules.read',
  'rules.write',
  'alerts.read',
  'alerts.acknowledge',
  'alerts.shelve',
  'alerts.dispatch',
  /** An officer takes an open alert: a dispatch to themselves. */
  'alerts.accept',
  'alerts.arrive',
  'alerts.resolve',
  'alerts.export',
  'checkins.read',
  'checkins.review',
  'tracks.read',
  'dashboard.read',
  'reports.read',
  'cameras.view',
  /** Access cards (who holds which card at a site) and the gate face checks of card reads. */
  'cards.read',
  'cards.write',
  'officers.position',
  /** Where the officers of one's units are and whether they can take a dispatch (those who dispatch). */
  'officers.read',
  'audit.read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ALL_READS: Permission[] = ['org.read', 'subjects.read', 'devices.read', 'zones.read', 'rules.read', 'alerts.read', 'checkins.read', 'tracks.read', 'dashboard.read', 'reports.read'];

/**
 * Separation of duties: administrators configure (devices, people, zones, rules,
 * users) but do not work alerts; operators and supervisors work alerts; officers
 * work the alerts of their own subjects and may accept one (dispatch it to themselves) but
 * not see where their colleagues are; auditors read the audit trail and who
 * was seen at which door (gate checks), and nobody, auditors and administrators
 * included, can change the trail. Access cards are issued and revoked by
 * administrators and supervisors.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  administrator: new Set<Permission>([
    ...ALL_READS,
    'org.write',
    'users.read',
    'users.write',
    'subjects.write',
    'devices.write',
    'devices.command',
    'zones.write',
    'rules.write',
    'cards.read',
    'cards.write',
  ]),
  supervisor: new Set<Permission>([
    ...ALL_READS,
    'alerts.acknowledge',
    'alerts.shelve',
    'alerts.dispatch',
    'alerts.resolve',
    'alerts.export',
    'checkins.review',
    'cameras.view',
    'officers.read',
    'cards.read',
    'cards.write',
  ]),
  operator: new Set<Permission>([
    ...ALL_READS,
    'devices.command',
    'alerts.acknowledge',
    'alerts.shelve',
    'alerts.dispatch',
    'alerts.arrive',
    'alerts.resolve',
    'alerts.export',
    'checkins.review',
    'cameras.view',
    'officers.read',
    'cards.read',
  ]),
  officer: new Set<Permission>([
    'org.read',
    'subjects.read',
    'zones.read',
    'alerts.read',
    'alerts.acknowledge',
    'alerts.accept',
    'alerts.arrive',
    'alerts.resolve',
    'checkins.read',
    'checkins.review',
    'tracks.read',
    'officers.position',
  ]),
  auditor: new Set<Permission>(['org.read', 'audit.read', 'cards.read']),
};

/** True if `role` holds `permission` (and, for an API token, the token's scopes include it). */
export function allows(role: Role, permission: Permission, tokenScopes?: readonly string[]): boolean {
  if (!ROLE_PERMISSIONS[role].has(permission)) return false;
  return tokenScopes === undefined || tokenScopes.includes(permission);
}

/** Roles that must use a second factor; the rest may enrol one (issue 9: required for administrators). */
export const DEFAULT_TOTP_REQUIRED_ROLES: readonly Role[] = ['administrator'];
