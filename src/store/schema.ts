import type { Selectable } from 'kysely';
import type { ActorType, UserStatus, UserType } from '../core/model.js';
import type { TokenKind } from '../core/policy.js';
import type { DisabledReason, RevokedReason } from '../core/token-status.js';
import type { UsageGranularity } from '../core/usage-buckets.js';
import type { VerifyCode } from '../core/verify-codes.js';
import type { DeliveryStatus, WebhookEvent } from '../core/webhooks.js';

/**
 * The Kysely database interface. Times are epoch milliseconds (integers on SQLite, bigint on
 * PostgreSQL); JSON columns hold text so both engines store them alike; booleans are 0/1.
 */
export interface Database {
  users: UsersTable;
  orgs: OrgsTable;
  roles: RolesTable;
  memberships: MembershipsTable;
  tokens: TokensTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  verifiers: VerifiersTable;
  settings: SettingsTable;
  signing_keys: SigningKeysTable;
  invalidations: InvalidationsTable;
  webhooks: WebhooksTable;
  webhook_jobs: WebhookJobsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  usage_buckets: UsageBucketsTable;
}

export interface UsersTable {
  id: string;
  type: UserType;
  email: string | null;
  name: string;
  password_hash: string | null;
  status: UserStatus;
  site_admin: number;
  /** A service account belongs to exactly one org. */
  org_id: string | null;
  description: string | null;
  created_by: string | null;
  created_at: number;
  deactivated_at: number | null;
}

export interface OrgsTable {
  id: string;
  name: string;
  slug: string;
  plan: string;
  features: string;
  token_policy: string;
  created_at: number;
  updated_at: number;
}

export interface RolesTable {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  permissions: string;
  created_at: number;
}

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  /** A built-in role name (`owner`, `admin`, `member`) or a custom role id. */
  role: string;
  created_at: number;
}

export interface TokensTable {
  id: string;
  org_id: string;
  owner_id: string;
  created_by: string;
  impersonation: number;
  name: string;
  description: string | null;
  kind: TokenKind;
  scopes: string;
  digest: string;
  hint: string;
  ip_allowlist: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  last_used_ip: string | null;
  /** In the future while a rotated-away token is inside its grace period. */
  revoked_at: number | null;
  revoked_reason: RevokedReason | null;
  disabled_at: number | null;
  disabled_reason: DisabledReason | null;
  rotated_from: string | null;
  replaced_by: string | null;
  expiring_notified_at: number | null;
  expired_notified_at: number | null;
  /** A JSON array of `{name, limit, window_seconds}`. */
  rate_limits: string;
  /** The key its counters are kept under, shared along a rotation chain. */
  limit_key: string;
  /** Credits as last written; null without a usage limit. */
  usage_remaining: number | null;
  /** A JSON `{amount, interval}`, or null without a refill. */
  usage_refill: string | null;
  usage_period: number | null;
  usage_version: number;
  /** A JSON array of `{ip, lastSeenAt}`, newest first. */
  recent_ips: string;
}

export interface SessionsTable {
  id_digest: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface AuditEventsTable {
  id: string;
  org_id: string | null;
  action: string;
  actor_type: ActorType;
  actor_id: string | null;
  impersonator_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: number;
  details: string;
}

export interface VerifiersTable {
  id: string;
  name: string;
  digest: string;
  hint: string;
  created_by: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface SigningKeysTable {
  kid: string;
  created_at: number;
  /** The public JWK, as JSON. */
  public_jwk: string;
  /** The private JWK, sealed with a key derived from the pepper (AES-256-GCM). */
  sealed_private_jwk: string;
}

export interface InvalidationsTable {
  id: number;
  version: number;
}

export interface WebhooksTable {
  id: string;
  org_id: string;
  url: string;
  /** A JSON array of event names, or null for every event. */
  events: string | null;
  description: string | null;
  /** The whsec_ signing secret, sealed with a key derived from the pepper (AES-256-GCM). */
  sealed_secret: string;
  created_by: string | null;
  created_at: number;
}

/** The outbox: one row per event and endpoint, written with the audit event. */
export interface WebhookJobsTable {
  webhook_id: string;
  event_id: string;
  org_id: string;
  type: WebhookEvent;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  /** When it is due; while claimed, the end of the claiming process's lease. */
  next_attempt_at: number;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_id: string;
  type: WebhookEvent;
  attempt: number;
  status: DeliveryStatus;
  response_status: number | null;
  error: string | null;
  created_at: number;
  finished_at: number | null;
  next_attempt_at: number | null;
}

/** Verify outcomes of one token in one hour or day, per code; processes add their counts. */
export interface UsageBucketsTable {
  token_id: string;
  org_id: string;
  granularity: UsageGranularity;
  bucket_start: number;
  code: VerifyCode;
  count: number;
}

export type UserRow = Selectable<UsersTable>;
export type OrgRow = Selectable<OrgsTable>;
export type RoleRow = Selectable<RolesTable>;
export type MembershipRow = Selectable<MembershipsTable>;
export type TokenRow = Selectable<TokensTable>;
export type SessionRow = Selectable<SessionsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type VerifierRow = Selectable<VerifiersTable>;
export type SigningKeyRow = Selectable<SigningKeysTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookJobRow = Selectable<WebhookJobsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type UsageBucketRow = Selectable<UsageBucketsTable>;
