import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { queryCarriesToken, readCredential } from '../../core/credentials.js';
import { checkForwarded, type ForwardedRequest } from '../../services/forward-auth.js';
import type { ServiceContext } from '../../services/context.js';
import { operation, summarized } from '../operation.js';
import { setRateLimitHeaders } from '../rate-limit-headers.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const header = (description: string) => ({ type: 'string', description });

/** What the gateway copies onto the request it lets through. */
const GRANT_HEADERS = {
  'x-keyward-token-id': header('The id of the token (tok_…).'),
  'x-keyward-org': header('The organization the token belongs to (org_…).'),
  'x-keyward-subject': header("The token's owner (usr_…)."),
  'x-keyward-scopes': header("The token's effective scopes, space-separated."),
};

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const DESCRIPTION =
  'For nginx `auth_request`, Caddy `forward_auth`, Traefik ForwardAuth and Envoy ext_authz (HTTP mode), with any method. ' +
  "The end user's token comes in their `Authorization` (or `X-API-Key`) header; the original request in `X-Original-Method` and " +
  '`X-Original-URI` (nginx) or `X-Forwarded-Method` and `X-Forwarded-Uri` (Caddy, Traefik), or as the method and the path after ' +
  '`/auth/check` (Envoy: `/auth/check/api/v1/devices`). The route table decides the scope it needs; unmatched routes and paths with ' +
  'dot segments, empty segments or encoded dots and slashes are refused. The gateway authenticates with `X-Keyward-Verifier`, or ' +
  'calls from an address in KEYWARD_FORWARD_AUTH_TRUSTED (loopback by default).';
const PREFIX = '/auth/check';

function single(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The gateway's question, from its headers: nginx sends X-Original-Method/-URI, Caddy and Traefik
 * X-Forwarded-Method/-Uri; Envoy's ext_authz (HTTP mode) asks with the original method and the
 * original path appended to `/auth/check`.
 */
function forwarded(request: FastifyRequest): ForwardedRequest {
  const suffix = request.url.startsWith(`${PREFIX}/`) ? request.url.slice(PREFIX.length) : undefined;
  const method = single(request, 'x-original-method') ?? single(request, 'x-forwarded-method') ?? (suffix ? request.method : undefined);
  const uri = single(request, 'x-original-uri') ?? single(request, 'x-forwarded-uri') ?? suffix;
  // The gateway appends the address it saw to X-Forwarded-For: the last entry is the end user's.
  const chain = single(request, 'x-forwarded-for')?.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const forwardedFor = chain?.[chain.length - 1];
  // Not an address (a port, a name, garbage) is never used as one: not for allowlists, not as a limit's key.
  const clientAddressInvalid = forwardedFor !== undefined && isIP(forwardedFor) === 0;
  return {
    credential: readCredential(request.raw.rawHeaders),
    gatewayVerifier: single(request, 'x-keyward-verifier'),
    gatewayIp: request.socket.remoteAddress ?? '',
    method,
    uri,
    // The original request's URL, and this one's (Envoy's carries it): a token in either is refused.
    tokenInUrl: queryCarriesToken(request.url) || (uri !== undefined && queryCarriesToken(uri)),
    clientAddressInvalid,
    client: { ip: clientAddressInvalid ? null : (forwardedFor ?? request.ip ?? null), userAgent: single(request, 'user-agent') ?? null },
  };
}

async function answer(ctx: ServiceContext, request: FastifyRequest, reply: FastifyReply) {
  const grant = await checkForwarded(ctx, forwarded(request));
  setRateLimitHeaders(reply, grant.limits);
  return reply
    .header('cache-control', 'no-store')
    .header('x-keyward-token-id', grant.tokenId)
    .header('x-keyward-org', grant.orgId)
    .header('x-keyward-subject', grant.subject)
    .header('x-keyward-scopes', grant.scopes.join(' '))
    .status(200)
    .send();
}

/** `/auth/check` and `/auth/check/*`, any method: forward auth for API gateways (DESIGN §4). */
const forwardAuth: RoutePlugin = async (app, { ctx }) => {
  const handler = (request: FastifyRequest, reply: FastifyReply) => answer(ctx, request, reply);
  // One operation per method, as gateways ask with the original request's method (Envoy) or their own.
  for (const method of METHODS) {
    const spec = operation({
      id: method === 'GET' ? 'checkForwardedRequest' : `checkForwardedRequest${method[0]}${method.slice(1).toLowerCase()}`,
      tag: 'gateway',
      summary: method === 'GET' ? 'Forward auth: may the request a gateway forwards go through?' : `Forward auth, asked with ${method}`,
      description: method === 'GET' ? DESCRIPTION : 'The same as GET /auth/check.',
      auth: 'public',
      security: [{ gatewayVerifier: [], bearerAuth: [] }, { gatewayVerifier: [], apiKeyHeader: [] }, { bearerAuth: [] }],
      responses: { 200: success('Let it through, with these headers for the upstream.', Type.Null(), GRANT_HEADERS) },
      problems: [401, 403, 429],
    });
    app.route({ ...summarized(spec), exposeHeadRoute: false, method, url: PREFIX, handler });
  }
  app.route({ ...summarized({ config: { auth: 'public' as const }, schema: { hide: true } }), method: [...METHODS], url: `${PREFIX}/*`, handler });
};

export default forwardAuth;
