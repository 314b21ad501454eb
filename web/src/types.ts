/**
 * The wire shapes of the management API, as the portal reads them: re-exported from the server's
 * contract module, which is Node-free, so the portal and the server speak one dialect. Only the
 * permission list is a value, from the pure core.
 */
export type {
  AuditEventView as AuditEvent,
  MeView as Me,
  MembershipView as Membership,
  MyOrgView as MyOrg,
  OrgView as Org,
  OrgUsageView as OrgUsage,
  PageOf as Page,
  RateLimitView as RateLimit,
  RoleView as Role,
  ScopeView as Scope,
  ServiceAccountView as ServiceAccount,
  TokenPolicyView as TokenPolicy,
  TokenUsageView as TokenUsage,
  TokenView as Token,
  TokenWithSecret,
  UsageBucketView as UsageBucket,
  UsageLimitView as UsageLimit,
  UserView as User,
  VerifierView as Verifier,
  WebhookDeliveryView as WebhookDelivery,
  WebhookView as Webhook,
  WebhookWithSecret,
} from '../../src/contract/index.js';
export type { Permission } from '../../src/core/permissions.js';
export type { TokenKind } from '../../src/core/policy.js';
export type { TokenStatus } from '../../src/core/token-status.js';
export { PERMISSIONS } from '../../src/core/permissions.js';
export { MAX_RATE_LIMITS, type RefillInterval } from '../../src/core/usage-limits.js';
export { VERIFY_CODES, type VerifyCode } from '../../src/core/verify-codes.js';
export { WEBHOOK_EVENTS, type WebhookEvent } from '../../src/core/webhooks.js';
