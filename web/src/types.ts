/** The wire shapes of the management API (DESIGN §4), as the portal reads them. */

export type Page<T> = { data: T[]; next_cursor: string | null };

export type Permission =
  | 'tokens.create'
  | 'tokens.manage'
  | 'tokens.impersonate'
  | 'members.manage'
  | 'roles.manage'
  | 'org.manage'
  | 'audit.read';

export const PERMISSIONS: readonly Permission[] = [
  'tokens.create',
  'tokens.manage',
  'tokens.impersonate',
  'members.manage',
  'roles.manage',
  'org.manage',
  'audit.read',
];

export type User = {
  id: string;
  email: string | null;
  name: string;
  site_admin: boolean;
  status: 'active' | 'deactivated';
  type: 'user' | 'service_account';
  created_at: string;
};

export type MyOrg = { id: string; name: string; slug: string; role: string; permissions: Permission[] };

export type Me = { user: User; token: Token | null; orgs: MyOrg[] };

export type TokenKind = 'api_key' | 'jwt';
export type TokenStatus = 'active' | 'expired' | 'revoked' | 'disabled';

export type Token = {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  kind: TokenKind;
  scopes: string[];
  hint: string;
  owner: { type: 'user' | 'service_account'; id: string };
  created_by: { id: string };
  impersonation: boolean;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  status: TokenStatus;
  expiring_soon: boolean;
  revoked_at: string | null;
  disabled_reason: string | null;
  ip_allowlist: string[];
  rotated_from: string | null;
  replaced_by: string | null;
};

export type TokenWithSecret = { token: Token; secret: string };

export type TokenPolicy = {
  expiration_presets_days: number[];
  allow_custom_expiration: boolean;
  max_lifetime_days: number;
  expiration_required: boolean;
  max_tokens_per_user: number;
  self_service: boolean;
  warning_window_days: number;
  allowed_kinds: TokenKind[];
  accept_x_api_key: boolean;
};

export type Org = {
  id: string;
  name: string;
  slug: string;
  plan: string;
  features: string[];
  token_policy: TokenPolicy;
  tokens_enabled: boolean;
  created_at: string;
  updated_at: string;
};

export type Scope = { name: string; description: string; feature?: string };

export type Membership = {
  org_id: string;
  user: { id: string; email: string | null; name: string; type: 'user' | 'service_account'; status: 'active' | 'deactivated' };
  role: string;
  created_at: string;
};

export type Role = {
  id: string;
  name: string;
  description: string | null;
  permissions: Permission[];
  built_in: boolean;
  created_at: string | null;
};

export type ServiceAccount = {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  status: 'active' | 'deactivated';
  created_at: string;
  created_by: { id: string } | null;
};

export type AuditEvent = {
  id: string;
  action: string;
  actor: { type: string; id: string | null };
  impersonator?: { id: string };
  org_id: string | null;
  target: { type: string; id: string } | null;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  details: Record<string, unknown>;
};

export type Verifier = {
  id: string;
  name: string;
  hint: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};
