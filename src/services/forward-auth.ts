import type { PresentedCredential } from '../core/credentials.js';
import { Forbidden, InsufficientScope, InvalidToken, KeywardError, RateLimited, Unauthenticated } from '../core/errors.js';
import type { LimitStatus } from '../core/limit-status.js';
import type { RequestMeta } from './access.js';
import { countFailedAuthentication, refuseThrottledClient } from './authentication.js';
import type { ServiceContext } from './context.js';
import { throttledError } from './limits/counters.js';
import { noteRejectedUse } from './rejections.js';
import { verifyToken } from './verification.js';
import { authenticateVerifier } from './verifiers.js';

/** What a gateway asks `/auth/check` about: the end user's request, as the gateway forwards it. */
export type ForwardedRequest = {
  /** The end user's credential (their `Authorization` or `X-API-Key`). */
  credential: PresentedCredential;
  /** The gateway's own credential (`X-Keyward-Verifier`), if it sent one. */
  gatewayVerifier: string | undefined;
  /** The address the gateway's call came from. */
  gatewayIp: string;
  /** The original request's method and URI; undefined when the gateway did not say. */
  method: string | undefined;
  uri: string | undefined;
  /** Whether the original request's URL (or this one's) carries `access_token`. */
  tokenInUrl: boolean;
  /** Whether the gateway's X-Forwarded-For ends in something that is not an IP address. */
  clientAddressInvalid: boolean;
  /**
   * The end user's address (the last X-Forwarded-For entry, else the gateway's) and agent, for the
   * token's IP allowlist, the failed-authentication limit and the audit log.
   */
  client: RequestMeta;
};

const TOKEN_IN_URL = 'A token in the URL (access_token) is not accepted: send it in the Authorization header.';

/** A request the gateway may let through, and who makes it. */
export type ForwardAuthGrant = { tokenId: string; orgId: string; subject: string; scopes: readonly string[]; limits: readonly LimitStatus[] };

/**
 * Forward auth (DESIGN §4): is the gateway one Keyward trusts, does the end user's token verify,
 * and does the route table give the original request a scope the token holds? Refusals are the
 * API's own: 403 for an untrusted gateway first (the end user cannot fix that), then 401 without or
 * with a bad token, then 403 for an unmatched route or a missing scope; refused uses of known
 * tokens are audited like any other.
 */
export async function checkForwarded(ctx: ServiceContext, request: ForwardedRequest): Promise<ForwardAuthGrant> {
  await authenticateGateway(ctx, request);
  if (request.clientAddressInvalid) throw new Forbidden('The gateway forwarded an X-Forwarded-For whose last entry is not an IP address.');
  const { credential } = request;
  // Anything but 401, 403 and 2xx becomes a 500 at nginx's auth_request: a malformed credential is a bad token here.
  if (credential.kind === 'invalid') throw new InvalidToken(credential.reason);
  // A token in the URL is never read (DESIGN §3): alone it is no credential, beside a header one too many.
  if (credential.kind === 'none') throw new Unauthenticated(request.tokenInUrl ? TOKEN_IN_URL : undefined);
  if (request.tokenInUrl) throw new InvalidToken(`${TOKEN_IN_URL} Present one credential.`);
  if (request.method === undefined || request.uri === undefined) {
    throw new Forbidden('The gateway did not say which request it asks about: send X-Original-Method and X-Original-URI, or X-Forwarded-Method and X-Forwarded-Uri.');
  }
  // Keyed by the end user's address, as the trusted gateway forwards it.
  refuseThrottledClient(ctx, request.client.ip);
  const route = ctx.config.routes.scopeFor(request.method, request.uri);
  const result = await verifyToken(ctx, {
    secret: credential.token,
    requiredScopes: route.allowed ? [route.scope] : [],
    ip: request.client.ip,
    viaXApiKey: credential.kind === 'x-api-key',
    // A request the table refuses is not a use of the token.
    recordUse: route.allowed,
  });
  if (!result.valid && result.usage) throw throttledError(result.usage);
  if (!result.valid && result.record) noteRejectedUse(ctx, result.record.token, result.code, request.client);
  if (!result.valid && result.code !== 'INSUFFICIENT_SCOPE') {
    countFailedAuthentication(ctx, request.client.ip);
    throw new InvalidToken(result.reason);
  }
  if (!route.allowed) throw new Forbidden(route.reason);
  if (!result.valid) throw new InsufficientScope(route.scope);
  const { token, effectiveScopes } = result.record;
  return { tokenId: token.id, orgId: token.orgId, subject: token.ownerId, scopes: effectiveScopes, limits: result.usage?.rateLimits ?? [] };
}

/** A gateway proves itself with a verifier credential, or by calling from a trusted address. */
async function authenticateGateway(ctx: ServiceContext, request: ForwardedRequest): Promise<void> {
  if (request.gatewayVerifier !== undefined) {
    try {
      await authenticateVerifier(ctx, request.gatewayVerifier, { ip: request.gatewayIp });
      return;
    } catch (error) {
      // The end user cannot fix the gateway's credential: not a 401 challenge to them.
      if (error instanceof KeywardError && !(error instanceof RateLimited)) throw new Forbidden('The gateway\'s X-Keyward-Verifier is not a valid verifier credential.');
      throw error;
    }
  }
  if (!ctx.config.trustedGateways.allows(request.gatewayIp)) {
    throw new Forbidden('Calls to /auth/check from this address must carry the X-Keyward-Verifier header.');
  }
}
