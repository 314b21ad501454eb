/**
 * The wire contract of Keyward (DESIGN §4): every request and response shape once, as a TypeBox
 * schema with its `Static<>` type. Server, CLI, portal and SDK all read it; it imports only
 * `typebox` and Keyward's pure core constants, so it runs anywhere.
 */
export * from './kit.js';
export * from './problem.js';
export * from './users.js';
export * from './orgs.js';
export * from './members.js';
export * from './roles.js';
export * from './tokens.js';
export * from './audit.js';
export * from './verify.js';
export * from './me.js';
export * from './health.js';
export * from './oauth.js';
export * from './leaks.js';
export * from './revocations.js';
export * from './webhooks.js';
export * from './usage.js';

import { AuditEventSchema } from './audit.js';
import { ProblemSchema } from './problem.js';
import { TokenSchema } from './tokens.js';
import { UserSchema } from './users.js';
import { WebhookSchema } from './webhooks.js';

/** The schemas others refer to by `$id`: registered once, named components in the OpenAPI document. */
export const SHARED_SCHEMAS = [ProblemSchema, TokenSchema, UserSchema, AuditEventSchema, WebhookSchema];
