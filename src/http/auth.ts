import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { readCredential } from '../core/credentials.js';
import { Forbidden, InvalidRequest, InvalidToken, Unauthenticated } from '../core/errors.js';
import { findUserById } from '../store/users.js';
import type { Caller, RequestMeta } from '../services/access.js';
import type { ServiceContext } from '../services/context.js';
import { csrfMatches, sessionUser, type SignedIn } from '../services/sessions.js';
import { noteRejectedUse } from '../services/rejections.js';
import { verifyToken } from '../services/verification.js';
import { authenticateVerifier } from '../services/verifiers.js';

export const SESSION_COOKIE = 'kw_session';
export const CSRF_COOKIE = 'kw_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who a route lets in, declared as `config: { auth }`; a route without it is public.
 * `caller`: a session or a token, read by the handler as `request.caller`. `verifier`: a verifier credential.
 */
export type RouteAuth = 'caller' | 'verifier';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** The authenticated caller; only routes declaring `config: { auth: 'caller' }` have one. */
    readonly caller: Caller;
  }
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : null };
}

/**
 * Who is calling. An explicit token (Bearer or X-API-Key) wins over the session cookie; cookie
 * requests that change state must carry the CSRF header. Throws the RFC 6750 errors. Routes do not
 * call it: they declare `config: { auth: 'caller' }` (see registerAuth).
 */
async function authenticate(ctx: ServiceContext, request: FastifyRequest): Promise<Caller> {
  const meta = requestMeta(request);
  const credential = readCredential(request.raw.rawHeaders);
  switch (credential.kind) {
    case 'invalid':
      throw new InvalidRequest(credential.reason);
    case 'bearer':
    case 'x-api-key': {
      const result = await verifyToken(ctx, {
        secret: credential.token,
        ip: meta.ip,
        viaXApiKey: credential.kind === 'x-api-key',
      });
      if (!result.valid) {
        if (result.record) noteRejectedUse(ctx, result.record.row, result.code, meta);
        throw new InvalidToken(result.reason);
      }
      const owner = await findUserById(ctx.db, result.record.row.owner_id);
      if (!owner || owner.status !== 'active') throw new InvalidToken("The token's owner is not active.");
      const row = result.record.row;
      return {
        user: owner,
        token: {
          id: row.id,
          orgId: row.org_id,
          scopes: new Set(result.effectiveScopes),
          impersonation: row.impersonation === 1,
          createdBy: row.created_by,
        },
        meta,
      };
    }
    case 'none': {
      const secret = request.cookies[SESSION_COOKIE];
      if (!secret) throw new Unauthenticated();
      const user = await sessionUser(ctx, secret);
      if (!user) throw new Unauthenticated('Your session has ended; sign in again.');
      if (!SAFE_METHODS.has(request.method)) {
        const presented = request.headers[CSRF_HEADER];
        if (typeof presented !== 'string' || !csrfMatches(ctx.pepper, secret, presented)) {
          throw new Forbidden(`Send the ${CSRF_HEADER} header with the value of the ${CSRF_COOKIE} cookie.`);
        }
      }
      return { user, token: null, meta };
    }
  }
}

/** The verifier credential from `Authorization: Bearer`; sessions and access tokens are refused. */
async function authenticateVerifierRequest(ctx: ServiceContext, request: FastifyRequest): Promise<void> {
  const credential = readCredential(request.raw.rawHeaders);
  switch (credential.kind) {
    case 'invalid':
      throw new InvalidRequest(credential.reason);
    case 'none':
      throw new Unauthenticated('A verifier credential is required.');
    case 'x-api-key':
      throw new InvalidToken('Present the verifier credential as Authorization: Bearer.');
    case 'bearer':
      await authenticateVerifier(ctx, credential.token);
  }
}

const callers = new WeakMap<FastifyRequest, Caller>();

/**
 * Authenticates every route that declares `config.auth`, in its onRequest phase: before the body
 * is parsed or validated, so a request without good credentials is 401 (or 400 invalid_request)
 * whatever its body, and nobody unauthenticated learns how a route validates its input.
 * Must run before the routes are registered.
 */
export function registerAuth(app: FastifyInstance, ctx: ServiceContext): void {
  app.decorateRequest('caller', {
    getter(this: FastifyRequest): Caller {
      const caller = callers.get(this);
      if (!caller) throw new Error(`${this.method} ${this.routeOptions.url} reads request.caller but does not declare config.auth 'caller'.`);
      return caller;
    },
  });
  const authenticators: Record<RouteAuth, onRequestHookHandler> = {
    caller: async (request) => {
      callers.set(request, await authenticate(ctx, request));
    },
    verifier: (request) => authenticateVerifierRequest(ctx, request),
  };
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    if (!auth) return;
    // A new array, after the route's own onRequest hooks (self-rotation notices a reused token
    // before authentication refuses it); the auto-added HEAD route copies the options unchanged.
    const own = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [...own, authenticators[auth]];
  });
}

/** Sets the session and CSRF cookies after sign-in or setup. */
export function setSessionCookies(ctx: ServiceContext, reply: FastifyReply, session: SignedIn): void {
  const common = { path: '/', sameSite: 'lax' as const, secure: ctx.config.secureCookies, expires: new Date(session.expiresAt) };
  reply.setCookie(SESSION_COOKIE, session.sessionSecret, { ...common, httpOnly: true });
  reply.setCookie(CSRF_COOKIE, session.csrfToken, { ...common, httpOnly: false });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
  reply.clearCookie(CSRF_COOKIE, { path: '/' });
}
