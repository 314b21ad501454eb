import { authenticateRoutes } from '../auth.js';
import { authorizeRoutes } from '../authorize.js';
import type { RoutePlugin } from '../route-plugin.js';
import auditEvents from './audit-events.js';
import leaks from './leaks.js';
import me from './me.js';
import memberTokens from './member-tokens.js';
import members from './members.js';
import orgs from './orgs.js';
import revocations from './revocations.js';
import roles from './roles.js';
import scopes from './scopes.js';
import selfTokens from './self-tokens.js';
import serviceAccounts from './service-accounts.js';
import session from './session.js';
import setup from './setup.js';
import tokens from './tokens.js';
import usage from './usage.js';
import users from './users.js';
import verifiers from './verifiers.js';
import verify from './verify.js';
import webhooks from './webhooks.js';

/**
 * The management API under `/api/v1`, one module per resource; every route authenticates unless it
 * says otherwise, and runs the guard it declares before its input is validated.
 */
const api: RoutePlugin = async (app, options) => {
  authenticateRoutes(app, options.ctx);
  authorizeRoutes(app, options.ctx);
  for (const resource of [session, setup, me, orgs, scopes, members, roles, serviceAccounts, users, tokens, memberTokens, selfTokens, usage, auditEvents, verifiers, verify, revocations, leaks, webhooks]) {
    await app.register(resource, { ctx: options.ctx });
  }
};

export default api;
