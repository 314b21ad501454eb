import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preValidationHookHandler } from 'fastify';
import { Type } from 'typebox';
import { bodyCarriesToken, queryCarriesToken, readCredential } from '../core/credentials.js';
import { Forbidden, InvalidRequest, InvalidToken, Unauthenticated } from '../core/errors.js';
import type { Caller, RequestMeta } from '../services/access.js';
import { authenticateSession, authenticateToken } from '../services/authentication.js';
import type { ServiceContext } from '../services/context.js';
import type { Verifier } from '../core/model.js';
import { csrfMatches, type SignedIn } from '../services/sessions.js';
import { authenticateVerifier } from '../services/verifiers.js';
import type { RouteAuth } from './operation.js';
import { setRateLimitHeaders } from './rate-limit-headers.js';

/** HTTP plumbing of authentication: headers, cookies, CSRF and the wiring; the rules are the services'. */

export const SESSION_COOKIE = 'kw_session';
export const CSRF_COOKIE = 'kw_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export type SessionCookieNames = { session: string; csrf: string };

/**
 * The cookies' names. Behind TLS (an https KEYWARD_PUBLIC_URL) they carry the `__Host-` prefix: a
 * browser keeps such a cookie only when it is Secure, for Path=/ and without Domain, so neither a
 * sibling subdomain nor a plain-HTTP page can plant or overwrite the session (cookie tossing,
 * session fixation). Only the prefixed names are read then. The portal reads the CSRF cookie by
 * either name (web/src/api.ts).
 */
export function sessionCookieNames(secure: boolean): SessionCookieNames {
  return secure ? { session: `__Host-${SESSION_COOKIE}`, csrf: `__Host-${CSRF_COOKIE}` } : { session: SESSION_COOKIE, csrf: CSRF_COOKIE };
}

/** RFC 6750 §2: one method per request, and never the URL or the body (DESIGN §3). */
const TOKEN_ELSEWHERE = 'A token in the URL or the body (access_token) is not accepted: send it in the Authorization header.';
const ONE_METHOD = `${TOKEN_ELSEWHERE} Present one credential.`;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** The authenticated caller; only routes with `auth: 'caller'` have one. */
    readonly caller: Caller;
  }
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : null };
}

/**
 * The session cookie, parsed when a route needs it rather than on every request (the cookie
 * plugin runs with `hook: false`: verify and the gateway check never look at cookies).
 */
export function sessionCookie(ctx: ServiceContext, request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  return header ? request.server.parseCookie(header)[sessionCookieNames(ctx.config.secureCookies).session] : undefined;
}

/**
 * Who is calling. An explicit token (Bearer or X-API-Key) wins over the session cookie; cookie
 * requests that change state must carry the CSRF header. Throws the RFC 6750 errors. A token in
 * the query string is never read: alone it is no credential (401), beside one it is a second
 * method (400 invalid_request).
 */
async function authenticateCaller(ctx: ServiceContext, request: FastifyRequest): Promise<Caller> {
  const meta = requestMeta(request);
  const credential = readCredential(request.raw.rawHeaders);
  const tokenInQuery = queryCarriesToken(request.url);
  switch (credential.kind) {
    case 'invalid':
      throw new InvalidRequest(credential.reason);
    case 'bearer':
      if (tokenInQuery) throw new InvalidRequest(ONE_METHOD);
      return authenticateToken(ctx, { secret: credential.token, header: 'authorization' }, meta);
    case 'x-api-key':
      if (tokenInQuery) throw new InvalidRequest(ONE_METHOD);
      return authenticateToken(ctx, { secret: credential.token, header: 'x-api-key' }, meta);
    case 'none': {
      const secret = sessionCookie(ctx, request);
      if (!secret) throw new Unauthenticated(tokenInQuery ? TOKEN_ELSEWHERE : undefined);
      if (tokenInQuery) throw new InvalidRequest(ONE_METHOD);
      const caller = await authenticateSession(ctx, secret, meta);
      if (!SAFE_METHODS.has(request.method)) {
        const presented = request.headers[CSRF_HEADER];
        if (typeof presented !== 'string' || !csrfMatches(ctx.pepper, secret, presented)) {
          throw new Forbidden(`Send the ${CSRF_HEADER} header with the value of the ${sessionCookieNames(ctx.config.secureCookies).csrf} cookie.`);
        }
      }
      return caller;
    }
  }
}

/** The verifier credential from `Authorization: Bearer`; sessions, access tokens and URL tokens are refused. */
async function authenticateVerifierRequest(ctx: ServiceContext, request: FastifyRequest): Promise<void> {
  const credential = readCredential(request.raw.rawHeaders);
  const tokenInQuery = queryCarriesToken(request.url);
  switch (credential.kind) {
    case 'invalid':
      throw new InvalidRequest(credential.reason);
    case 'none':
      throw new Unauthenticated(tokenInQuery ? TOKEN_ELSEWHERE : 'A verifier credential is required.');
    case 'x-api-key':
      throw new InvalidToken('Present the verifier credential as Authorization: Bearer.');
    case 'bearer':
      if (tokenInQuery) throw new InvalidRequest(ONE_METHOD);
      verifiers.set(request, await authenticateVerifier(ctx, credential.token, { ip: requestMeta(request).ip }));
  }
}

/**
 * A body carrying `access_token` beside the credential that authenticated the request: a second
 * method, 400 invalid_request. (Without one, authentication has already answered 401.) Runs before
 * validation, so the answer does not depend on the route's schema.
 */
const refuseTokenInBody: preValidationHookHandler = (request, _reply, done) => {
  done(bodyCarriesToken(request.body) ? new InvalidRequest(ONE_METHOD) : undefined);
};

const verifiers = new WeakMap<FastifyRequest, Verifier>();

/** The verifier a `verifier` route's request authenticated as. */
export function verifierOf(request: FastifyRequest): Verifier {
  const verifier = verifiers.get(request);
  if (!verifier) throw new Error(`${request.method} ${request.routeOptions.url} reads the verifier but does not authenticate one.`);
  return verifier;
}

const callers = new WeakMap<FastifyRequest, Caller>();

/** `request.caller`, for the routes that authenticate a caller; call once on the root instance. */
export function decorateCaller(app: FastifyInstance): void {
  app.decorateRequest('caller', {
    getter(this: FastifyRequest): Caller {
      const caller = callers.get(this);
      if (!caller) throw new Error(`${this.method} ${this.routeOptions.url} reads request.caller but does not authenticate a caller.`);
      return caller;
    },
  });
}

/** The documented header a cookie session's state-changing requests send. */
const CSRF_HEADERS = Type.Object({
  [CSRF_HEADER]: Type.Optional(Type.String({ maxLength: 128, description: `With a session cookie, the value of the ${CSRF_COOKIE} cookie.` })),
});

/**
 * Authenticates the routes of this scope, in their onRequest phase: before the body is parsed or
 * validated, so a request without good credentials is 401 (or 400 invalid_request) whatever its
 * body, and nobody unauthenticated learns how a route validates its input. Routes authenticate a
 * caller unless they declare otherwise. Must run before the scope's routes are registered.
 */
export function authenticateRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const authenticators: Record<Exclude<RouteAuth, 'public'>, onRequestHookHandler> = {
    caller: async (request, reply) => {
      const caller = await authenticateCaller(ctx, request);
      callers.set(request, caller);
      setRateLimitHeaders(reply, caller.token?.limits);
    },
    verifier: (request) => authenticateVerifierRequest(ctx, request),
  };
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth ?? 'caller';
    route.config = { ...route.config, auth };
    if (auth === 'public') return;
    if (auth === 'caller' && !SAFE_METHODS.has(String(route.method))) route.schema = { ...route.schema, headers: CSRF_HEADERS };
    // A new array, after the route's own onRequest hooks (self-rotation notices a reused token
    // before authentication refuses it); the auto-added HEAD route copies the options unchanged.
    const own = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [...own, authenticators[auth]];
    if (!SAFE_METHODS.has(String(route.method))) {
      const validating = route.preValidation === undefined ? [] : [route.preValidation].flat();
      route.preValidation = [refuseTokenInBody, ...validating];
    }
  });
}

/** Sets the session and CSRF cookies after sign-in or setup. */
export function setSessionCookies(ctx: ServiceContext, reply: FastifyReply, session: SignedIn): void {
  const names = sessionCookieNames(ctx.config.secureCookies);
  // Path=/ and no Domain, as `__Host-` requires.
  const common = { path: '/', sameSite: 'lax' as const, secure: ctx.config.secureCookies, expires: new Date(session.expiresAt) };
  reply.setCookie(names.session, session.sessionSecret, { ...common, httpOnly: true });
  reply.setCookie(names.csrf, session.csrfToken, { ...common, httpOnly: false });
}

export function clearSessionCookies(ctx: ServiceContext, reply: FastifyReply): void {
  const names = sessionCookieNames(ctx.config.secureCookies);
  // A browser drops a `__Host-` cookie only for a Set-Cookie that is itself Secure.
  const common = { path: '/', sameSite: 'lax' as const, secure: ctx.config.secureCookies };
  reply.clearCookie(names.session, { ...common, httpOnly: true });
  reply.clearCookie(names.csrf, common);
}
