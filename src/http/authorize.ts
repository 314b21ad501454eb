import type { FastifyInstance, preValidationAsyncHookHandler } from 'fastify';
import { isId, type IdPrefix } from '../core/ids.js';
import type { Access, Permission } from '../core/permissions.js';
import { authorizeInOrg, requireSiteAdmin, type Caller } from '../services/access.js';
import type { ServiceContext } from '../services/context.js';
import { authorizeOrgUpdate } from '../services/orgs.js';
import { authorizeImpersonation, authorizeTokenAction, authorizeTokenCreation, type TokenAction } from '../services/tokens/rules.js';
import { readableToken } from '../services/usage-analytics.js';

/**
 * Authorization before validation (DESIGN §3: 401 → 403, or 404 for another org's object → 400 →
 * 422). A route declares, in its operation spec (`authorize`), what it needs whatever its body:
 * that check runs in the route's preValidation phase — after authentication, before the body and
 * query are validated — so a caller who may not use the route learns nothing of its schema. The
 * rules are the services'; the use case asks them again where it acts.
 */

/** Path parameters as the router matched them: not validated yet. */
export type RawParams = Readonly<Record<string, string | undefined>>;

/** `body` is the parsed body as sent, not validated yet: a guard may only ask which fields it names. */
export type RouteGuard = (ctx: ServiceContext, caller: Caller, params: RawParams, body: unknown) => Promise<void> | void;

declare module 'fastify' {
  interface FastifyContextConfig {
    authorize?: RouteGuard;
  }
}

/**
 * A path parameter when it is a well-formed id, else undefined: a path that names no object at
 * all is left to validation's 400, which tells of the path, not of the body.
 */
function idParam(params: RawParams, name: string, prefix: IdPrefix): string | undefined {
  const value = params[name];
  return typeof value === 'string' && isId(prefix, value) ? value : undefined;
}

/** Deployment-wide routes: a site admin's session only. */
export const siteAdminOnly: RouteGuard = (_ctx, caller) => requireSiteAdmin(caller);

/** One of `permissions` in the org of the path (with its `keyward:*` scope for a token caller). */
export function inOrg(permissions: Permission | readonly Permission[], mode: Access): RouteGuard {
  const needed = typeof permissions === 'string' ? [permissions] : permissions;
  return async (ctx, caller, params) => {
    const org = idParam(params, 'org', 'org');
    if (org !== undefined) await authorizeInOrg(ctx.db, caller, org, needed, mode);
  };
}

/** `PATCH /orgs/{org}`: `org.manage` or a site admin. */
export const mayUpdateOrg: RouteGuard = async (ctx, caller, params) => {
  const org = idParam(params, 'org', 'org');
  if (org !== undefined) await authorizeOrgUpdate(ctx.db, caller, org);
};

/** `POST /orgs/{org}/tokens`. */
export const mayCreateTokens: RouteGuard = async (ctx, caller, params) => {
  const org = idParam(params, 'org', 'org');
  if (org !== undefined) await authorizeTokenCreation(ctx.db, caller, org);
};

/** `POST /orgs/{org}/members/{user}/tokens`. */
export const mayImpersonate: RouteGuard = async (ctx, caller, params) => {
  const org = idParam(params, 'org', 'org');
  if (org !== undefined) await authorizeImpersonation(ctx.db, caller, org);
};

/** A route acting on the token `{id}` of the org; `rotate` hands out a secret. */
export function onToken(action: TokenAction): RouteGuard {
  return async (ctx, caller, params) => {
    const org = idParam(params, 'org', 'org');
    if (org !== undefined) await authorizeTokenAction(ctx.db, caller, org, idParam(params, 'id', 'tok'), action);
  };
}

/** `PATCH …/tokens/{id}`: a body that sets `usage_limit` takes `tokens.manage` as well. */
export const mayUpdateToken: RouteGuard = async (ctx, caller, params, body) => {
  const setsCredits = typeof body === 'object' && body !== null && Object.hasOwn(body, 'usage_limit');
  await onToken(setsCredits ? 'credits' : 'change')(ctx, caller, params, body);
};

/** A route reading the token `{id}` of the org (its usage): 404 unless `GET …/tokens/{id}` would show it. */
export const mayReadToken: RouteGuard = async (ctx, caller, params) => {
  const org = idParam(params, 'org', 'org');
  const id = idParam(params, 'id', 'tok');
  if (org !== undefined && id !== undefined) await readableToken(ctx.db, caller, org, id);
};

/**
 * Runs each route's declared guard in its preValidation phase, after the hooks already there:
 * authentication's own (a token in the body is a second credential, 400 before any 403) and the
 * route's. Must run before the scope's routes are registered, after `authenticateRoutes`.
 */
export function authorizeRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.addHook('onRoute', (route) => {
    const guard = route.config?.authorize;
    if (!guard) return;
    const check: preValidationAsyncHookHandler = async (request) => guard(ctx, request.caller, request.params as RawParams, request.body);
    // A new array: the auto-added HEAD route copies the options unchanged.
    const before = route.preValidation === undefined ? [] : [route.preValidation].flat();
    route.preValidation = [...before, check];
  });
}
