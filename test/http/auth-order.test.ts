import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateRoutes, decorateCaller } from '../../src/http/auth.js';
import { registerErrorHandling } from '../../src/http/problem.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier, signIn } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { isServedElsewhere, openApiPath, registeredRoutes, type RegisteredRoute } from './route-table.js';

/**
 * The only routes anyone may call without credentials. A route missing from here must
 * authenticate before it looks at its input; a new public route has to be added on purpose.
 */
const PUBLIC = new Set([
  'POST /api/v1/session',
  'GET /api/v1/setup',
  'POST /api/v1/setup',
  'GET /healthz',
  'GET /readyz',
  'GET /.well-known/jwks.json',
  // By address (KEYWARD_METRICS_ALLOW), like a scraper: test/http/health/metrics.test.ts.
  'GET /metrics',
  // Anyone may report a leaked token (GitHub's secret scanning): test/http/leaks.test.ts.
  'POST /api/v1/leaks',
]);

/**
 * Routes that authenticate another way, each with its own order tests: forward auth (the gateway,
 * then the end user's token, and 401 for a malformed credential since nginx turns a 400 into 500:
 * test/http/gateway), introspection (HTTP Basic, invalid_client) and revocation by possession
 * (test/http/oauth).
 */
const OWN_AUTHENTICATION = (path: string) => path.startsWith('/auth/check') || path.startsWith('/oauth/');

/** A HEAD route is its GET route's twin. */
const key = (route: RegisteredRoute) => `${route.method === 'HEAD' ? 'GET' : route.method} ${route.path}`;

type Operation = { parameters?: { in: string }[]; requestBody?: unknown; security?: Record<string, string[]>[] };
type OpenApiDocument = { paths: Record<string, Record<string, Operation>> };

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The route called with input that fails validation everywhere: over-long ids, a bad query, an unknown body field. */
function invalidInput(route: RegisteredRoute): InjectOptions {
  const url = `${route.path.replace(/:\w+(\([^)]*\))?/g, 'x'.repeat(100))}?limit=0&format=zip`;
  const body = BODY_METHODS.has(route.method) ? { payload: { unexpected: true } } : {};
  return { method: route.method as InjectOptions['method'], url, ...body };
}

let t: TestApp;
let authenticated: RegisteredRoute[];
let doc: OpenApiDocument;
const send = (route: RegisteredRoute, headers: Record<string, string | string[]> = {}) =>
  t.app.inject({ ...invalidInput(route), headers: headers as Record<string, string> });
const label = (route: RegisteredRoute) => `${route.method} ${route.path}`;

beforeAll(async () => {
  t = await startTestApp();
  doc = json<OpenApiDocument>(await t.app.inject({ method: 'GET', url: '/openapi.json' }));
  authenticated = registeredRoutes(t.app).filter((r) => !isServedElsewhere(r.path) && !PUBLIC.has(key(r)) && !OWN_AUTHENTICATION(r.path));
});
afterAll(() => t.close());

/** Every refusal, as `route → status code`, so a failure names every route at fault at once. */
async function outcomes(
  headers: Record<string, string | string[]>,
  expected: (response: LightMyRequestResponse, route: RegisteredRoute) => boolean,
): Promise<string[]> {
  const wrong: string[] = [];
  for (const route of authenticated) {
    const response = await send(route, headers);
    if (!expected(response, route)) wrong.push(`${label(route)} → ${response.statusCode} ${response.body.slice(0, 120)}`);
  }
  return wrong;
}

/** HEAD answers carry no body: the challenge header says the same. */
const hasCode = (response: LightMyRequestResponse, route: RegisteredRoute, code: string) =>
  String(response.headers['www-authenticate']).includes(`error="${code}"`) && (route.method === 'HEAD' || json(response).code === code);

describe('authentication comes before input validation', () => {
  it('covers every route the app serves except the public ones', () => {
    const keys = authenticated.map(label);
    expect(keys.length).toBeGreaterThan(40);
    for (const known of ['GET /api/v1/me', 'DELETE /api/v1/session', 'POST /api/v1/verify', 'POST /api/v1/tokens/self/rotate', 'PATCH /api/v1/orgs/:org']) {
      expect(keys).toContain(known);
    }
    const served = new Set(registeredRoutes(t.app).map(key));
    expect([...PUBLIC].filter((route) => !served.has(route)), 'public routes that no longer exist').toEqual([]);
  });

  it('sends the input that fails validation to a caller who may call the route', async () => {
    const admin = await makeUser(t.ctx, { siteAdmin: true });
    const session = await signIn(t.app, admin);
    const org = await makeOrg(t.ctx);
    await addMember(t.ctx, org, admin, 'owner');
    const token = await makeToken(t.ctx, org, admin, { scopes: ['keyward:*'] });
    const verifier = await makeVerifier(t.ctx);
    const accepted: string[] = [];
    for (const route of authenticated) {
      const operation = doc.paths[openApiPath(route.path)]?.[key(route).split(' ')[0]!.toLowerCase()];
      // The CSRF header is no input of the route's own; a route without path, query or body has nothing to refuse.
      const inputs = (operation?.parameters ?? []).filter((p) => p.in !== 'header');
      if (!operation || (inputs.length === 0 && operation.requestBody === undefined)) continue;
      const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
      const headers = schemes.includes('verifierAuth')
        ? { authorization: `Bearer ${verifier.secret}` }
        : schemes.includes('sessionCookie')
          ? session
          : { authorization: `Bearer ${token.secret}` };
      const response = await send(route, headers);
      if (response.statusCode !== 400) accepted.push(`${label(route)} → ${response.statusCode}`);
    }
    expect(accepted, 'routes that accepted the invalid input: the checks below prove nothing for them').toEqual([]);
  });

  it('answers 401 with the bare challenge to a request without credentials', async () => {
    const wrong = await outcomes(
      {},
      (response) => response.statusCode === 401 && response.headers['www-authenticate'] === 'Bearer realm="keyward"',
    );
    expect(wrong).toEqual([]);
  });

  it('answers 401 invalid_token to a garbage bearer token', async () => {
    const wrong = await outcomes(
      { authorization: 'Bearer not-a-keyward-token' },
      (response, route) => response.statusCode === 401 && hasCode(response, route, 'invalid_token'),
    );
    expect(wrong).toEqual([]);
  });

  it('answers 400 invalid_request to two different Authorization headers', async () => {
    const wrong = await outcomes(
      { authorization: ['Bearer first-token', 'Bearer second-token'] },
      (response, route) => response.statusCode === 400 && hasCode(response, route, 'invalid_request'),
    );
    expect(wrong).toEqual([]);
  });

  it('refuses a session request that changes state without the CSRF header, whatever its body', async () => {
    const { cookie } = await signIn(t.app, await makeUser(t.ctx, { siteAdmin: true }));
    const wrong: string[] = [];
    for (const route of authenticated.filter((r) => BODY_METHODS.has(r.method))) {
      const operation = doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
      if (!operation?.security?.some((requirement) => 'sessionCookie' in requirement)) continue;
      const response = await send(route, { cookie });
      if (response.statusCode !== 403 || json(response).code !== 'forbidden') wrong.push(`${label(route)} → ${response.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('request.caller', () => {
  async function appWith(routes: (app: FastifyInstance) => void) {
    const app = Fastify({ logger: false });
    registerErrorHandling(app, () => []);
    decorateCaller(app);
    authenticateRoutes(app, t.ctx);
    await app.register(cookie);
    routes(app);
    await app.ready();
    return app;
  }

  it('is the authenticated caller on a route that declares auth', async () => {
    const owner = await makeUser(t.ctx);
    const org = await makeOrg(t.ctx);
    await addMember(t.ctx, org, owner, 'member');
    const { secret } = await makeToken(t.ctx, org, owner);
    const app = await appWith((a) =>
      a.post('/who', { config: { auth: 'caller' }, schema: { body: Type.Object({ n: Type.Integer() }) } }, async (request) => ({
        id: request.caller.user.id,
      })),
    );
    const ok = await app.inject({ method: 'POST', url: '/who', headers: { authorization: `Bearer ${secret}` }, payload: { n: 1 } });
    expect(ok.statusCode).toBe(200);
    expect(json(ok).id).toBe(owner.id);
    const anonymous = await app.inject({ method: 'POST', url: '/who', payload: { n: 'not a number' } });
    expect(anonymous.statusCode).toBe(401);
    await app.close();
  });

  it('fails loudly (500, nothing served) on a public route that reads it', async () => {
    let served = false;
    const app = await appWith((a) =>
      a.get('/forgot', { config: { auth: 'public' } }, async (request) => {
        const id = request.caller.user.id;
        served = true;
        return { id };
      }),
    );
    const response = await app.inject({ method: 'GET', url: '/forgot' });
    expect(response.statusCode).toBe(500);
    expect(json(response).code).toBe('internal_error');
    expect(served).toBe(false);
    await app.close();
  });
});
