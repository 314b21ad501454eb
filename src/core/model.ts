import type { Permission } from './permissions.js';
import type { TokenKind, TokenPolicy } from './policy.js';
import type { DisabledReason, RevokedReason } from './token-status.js';
import type { RateLimit, RecentIp, UsageRefill } from './usage-limits.js';

/**
 * The domain objects: what the store maps its rows to, once, and what services work with. Times
 * are epoch milliseconds, booleans are booleans, JSON columns are parsed.
 */

/** `user` signs in with a password; `service_account` only owns tokens in one org. */
export const USER_TYPES = ['user', 'service_account'] as const;
export type UserType = (typeof USER_TYPES)[number];

export const USER_STATUSES = ['active', 'deactivated'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** Who an audit event is attributed to. */
export const ACTOR_TYPES = ['user', 'service_account', 'token', 'system'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export type User = {
  id: string;
  type: UserType;
  email: string | null;
  name: string;
  passwordHash: string | null;
  status: UserStatus;
  siteAdmin: boolean;
  /** A service account belongs to exactly one org. */
  orgId: string | null;
  description: string | null;
  createdBy: string | null;
  createdAt: number;
  deactivatedAt: number | null;
};

export type Org = {
  id: string;
  name: string;
  slug: string;
  plan: string;
  features: string[];
  tokenPolicy: TokenPolicy;
  createdAt: number;
  updatedAt: number;
};

export type Membership = {
  orgId: string;
  userId: string;
  /** A built-in role name (`owner`, `admin`, `member`) or a custom role id. */
  role: string;
  createdAt: number;
};

/** A membership with the member's identity, as member lists show it. */
export type Member = Membership & { user: Pick<User, 'id' | 'email' | 'name' | 'type' | 'status'> };

export type CustomRole = {
  id: string;
  orgId: string;
  name: string;
  description: string | null;
  permissions: Permission[];
  createdAt: number;
};

export type Token = {
  id: string;
  orgId: string;
  ownerId: string;
  createdBy: string;
  impersonation: boolean;
  name: string;
  description: string | null;
  kind: TokenKind;
  scopes: string[];
  digest: string;
  hint: string;
  ipAllowlist: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  /** In the future while a rotated-away token is inside its grace period. */
  revokedAt: number | null;
  revokedReason: RevokedReason | null;
  disabledAt: number | null;
  disabledReason: DisabledReason | null;
  rotatedFrom: string | null;
  replacedBy: string | null;
  expiringNotifiedAt: number | null;
  expiredNotifiedAt: number | null;
  rateLimits: RateLimit[];
  /** What its counters are kept under: its own id, or its rotation chain's first token's. */
  limitKey: string;
  /** Credits as last written (see `StoredCredits`); null without a usage limit. */
  usageRemaining: number | null;
  usageRefill: UsageRefill | null;
  usagePeriod: number | null;
  usageVersion: number;
  /** The last distinct client addresses it was used from, newest first. */
  recentIps: RecentIp[];
};

export type Session = {
  idDigest: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  ip: string | null;
  userAgent: string | null;
};

export type AuditRecord = {
  id: string;
  orgId: string | null;
  action: string;
  actor: { type: ActorType; id: string | null };
  impersonatorId: string | null;
  target: { type: string; id: string } | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: number;
  /** Never a secret: ids, names, scopes, reasons, a token's SHA-256 at most. */
  details: Record<string, unknown>;
};

export type Verifier = {
  id: string;
  name: string;
  digest: string;
  hint: string;
  createdBy: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
};
