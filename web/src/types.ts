/**
 * The wire shapes of the management API (DESIGN §4), as the portal reads them. The domain types
 * come from the server's pure `src/core` modules and the token object from its response schema,
 * type-only, so nothing of the server is bundled and no Node types enter the portal's type
 * check. The other wire objects stay declared here: the server's (`AuditEventView`, …) live in
 * service modules whose imports reach the store and Node.
 */
import type { Static } from 'typebox';
import type { TokenSchema } from '../../src/http/schemas/token.js';
import type { Permission } from '../../src/core/permissions.js';
import type { TokenKind, TokenPolicy } from '../../src/core/policy.js';
import type { TokenStatus } from '../../src/core/token-status.js';

export type { Permission, TokenKind, TokenPolicy, TokenStatus };

export type Page<T> = { data: T[]; next_cursor: string | null };

/** A key for every permission: the type check fails here when the server adds one. */
const EVERY_PERMISSION: Record<Permission, true> = {
  'tokens.create': true,
  'tokens.manage': true,
  'tokens.impersonate': true,
  'members.manage': true,
  'roles.manage': true,
  'org.manage': true,
  'audit.read': true,
};

/** Every permission: the role editor's choices, and a site admin's in an org they do not belong to. */
export const PERMISSIONS = Object.keys(EVERY_PERMISSION) as Permission[];

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

/** The wire token object, from the server's own response schema: one definition for both sides. */
export type Token = Static<typeof TokenSchema>;

export type TokenWithSecret = { token: Token; secret: string };

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
