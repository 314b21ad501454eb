import type { Permission } from './permissions.js';

/** One entry of the deployment's scope catalog (DESIGN §1). */
export type ScopeDefinition = {
  name: string;
  description: string;
  feature?: string;
  plans?: string[];
};

export const SCOPE_NAME = /^[a-z][a-z0-9_]*(:[a-z][a-z0-9_]*)+$/;

/** The device-lab catalog that ships as the default. */
export const DEFAULT_SCOPES: ScopeDefinition[] = [
  { name: 'devices:read', description: 'List and read devices.' },
  { name: 'devices:write', description: 'Update device tags and notes.' },
  { name: 'device_requests:read', description: 'List and read device requests.' },
  { name: 'device_requests:write', description: 'Create and change device requests.' },
  { name: 'clients:read', description: 'List and read clients.' },
  { name: 'clients:write', description: 'Create, change and delete clients.' },
  { name: 'users:read', description: 'List and read users.' },
  { name: 'metrics:read', description: 'Read usage metrics.' },
  { name: 'billing:read', description: 'Read invoices and charges.' },
  { name: 'insights:read', description: 'Read the Insights API.', feature: 'insights_api' },
];

/** Keyward's own management scopes and the permissions that a holder needs to grant them. */
export const MANAGEMENT_SCOPES: (ScopeDefinition & { requires: Permission[] })[] = [
  {
    name: 'keyward:tokens:read',
    description: 'Read tokens through the Keyward API.',
    requires: ['tokens.create', 'tokens.manage', 'tokens.impersonate'],
  },
  {
    name: 'keyward:tokens:write',
    description: 'Create, rename, rotate and revoke tokens through the Keyward API.',
    requires: ['tokens.create', 'tokens.manage', 'tokens.impersonate'],
  },
  { name: 'keyward:audit:read', description: 'Read the audit log.', requires: ['audit.read'] },
  {
    name: 'keyward:admin',
    description: 'Manage members, roles and the org through the Keyward API.',
    requires: ['members.manage', 'roles.manage', 'org.manage'],
  },
];

export type OrgEntitlements = { plan: string; features: readonly string[] };

/** Whether an org may see and grant a catalog scope (feature and plan gating). */
export function scopeAvailableTo(scope: ScopeDefinition, org: OrgEntitlements): boolean {
  if (scope.feature && !org.features.includes(scope.feature)) return false;
  if (scope.plans && !scope.plans.includes(org.plan)) return false;
  return true;
}

/** The catalog as one org may use it: its product scopes followed by the management scopes. */
export function scopesForOrg(catalog: readonly ScopeDefinition[], org: OrgEntitlements): ScopeDefinition[] {
  return [
    ...catalog.filter((s) => scopeAvailableTo(s, org)),
    ...MANAGEMENT_SCOPES.map(({ name, description }) => ({ name, description })),
  ];
}

/**
 * Whether a principal holding `permissions` may put `scope` on a token. Product scopes only need
 * membership; a management scope needs one of the permissions it serves.
 */
export function canGrantScope(scope: string, permissions: ReadonlySet<Permission>): boolean {
  const management = MANAGEMENT_SCOPES.find((s) => s.name === scope);
  if (!management) return true;
  return management.requires.some((p) => permissions.has(p));
}

/** Validates a catalog read from JSON; throws with a message that names the bad entry. */
export function parseScopeCatalog(raw: unknown): ScopeDefinition[] {
  if (!Array.isArray(raw)) throw new Error('the scope catalog must be a JSON array');
  const seen = new Set<string>();
  return raw.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null) throw new Error(`scope #${index} is not an object`);
    const { name, description, feature, plans } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || !SCOPE_NAME.test(name)) throw new Error(`scope #${index} has a bad name`);
    if (name.startsWith('keyward:')) throw new Error(`scope ${name}: the keyward: namespace is reserved`);
    if (seen.has(name)) throw new Error(`scope ${name} is listed twice`);
    seen.add(name);
    if (typeof description !== 'string') throw new Error(`scope ${name} needs a description`);
    if (feature !== undefined && typeof feature !== 'string') throw new Error(`scope ${name}: feature must be a string`);
    if (plans !== undefined && !(Array.isArray(plans) && plans.every((p) => typeof p === 'string'))) {
      throw new Error(`scope ${name}: plans must be a list of strings`);
    }
    return {
      name,
      description,
      ...(feature !== undefined ? { feature } : {}),
      ...(plans !== undefined ? { plans: plans as string[] } : {}),
    };
  });
}
