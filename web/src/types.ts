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
  PageOf as Page,
  RoleView as Role,
  ScopeView as Scope,
  ServiceAccountView as ServiceAccount,
  TokenPolicyView as TokenPolicy,
  TokenView as Token,
  TokenWithSecret,
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
export { WEBHOOK_EVENTS, type WebhookEvent } from '../../src/core/webhooks.js';
