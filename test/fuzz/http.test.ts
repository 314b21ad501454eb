import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_LAB_ROUTES } from '../../src/core/route-table.js';
import { generateApiKey } from '../../src/core/token-format.js';
import { addMember, makeOrg, makeRole, makeServiceAccount, makeToken, makeUser, makeVerifier, signIn, type SessionHeaders } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { isServedElsewhere, openApiPath, registeredRoutes, type RegisteredRoute } from '../http/route-table.js';
import { createdWebhook, PUBLIC_URL } from '../http/webhooks/helpers.js';
import { FUZZ_TIMEOUT, params } from './budget.js';

/**
 * Every route of the running app, fuzzed through inject: arbitrary JSON and near-valid mutations
 * of each JSON request body, hostile path parameters and credentials. No input may yield a 500, a
 * hang (each request is bounded), or a 2xx without a valid credential.
 */
type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; const?: unknown; $ref?: string; anyOf?: Schema[]; oneOf?: Schema[] };
type Operation = { requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: Record<string, string[]>[] };
type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

/** A request that takes this long counts as a hang (generous: CI machines are shared). */
const REQUEST_MS = 5_000;
const PUBLIC = new Set(['POST /api/v1/session', 'GET /api/v1/setup', 'POST /api/v1/setup', 'GET /healthz', 'GET /readyz', 'GET /.well-known/jwks.json', 'GET /metrics', 'POST /api/v1/leaks']);
/** Routes whose fuzzing would end the fuzzer's own session or stream forever. */
const SKIPPED = new Set(['DELETE /api/v1/session', 'GET /api/v1/revocations/stream']);

let t: TestApp;
let doc: OpenApiDocument;
let routes: RegisteredRoute[];
let admin: SessionHeaders;
let adminToken: string;
let productToken: string;
let verifier: { id: string; secret: string };
let ids: Record<string, string[]>;

beforeAll(async () => {
  // Its passwords and tokens are fast-check's strings, which recur in what it stores (names, emails).
  t = await startTestApp({ keepPresentedSecrets: false });
  const org = await makeOrg(t.ctx);
  const site = await makeUser(t.ctx, { siteAdmin: true });
  await addMember(t.ctx, org, site, 'owner');
  const member = await makeUser(t.ctx);
  await addMember(t.ctx, org, member, 'member');
  admin = await signIn(t.app, site);
  adminToken = (await makeToken(t.ctx, org, site, { scopes: ['keyward:tokens:read', 'keyward:tokens:write', 'keyward:audit:read', 'keyward:admin'] })).secret;
  productToken = (await makeToken(t.ctx, org, site, { scopes: [...new Set(DEVICE_LAB_ROUTES.map((r) => r.scope))].filter((s) => s !== 'insights:read') })).secret;
  verifier = await makeVerifier(t.ctx);
  const svc = await makeServiceAccount(t.ctx, org);
  const token = await makeToken(t.ctx, org, member);
  const webhook = await createdWebhook(t, admin, org.id, { url: PUBLIC_URL });
  // Real ids for path parameters by name, so the fuzzed requests reach the handlers, not only the 404s.
  ids = {
    org: [org.id],
    user: [member.id, svc.id],
    role: [await makeRole(t.ctx, org, ['audit.read'], 'fuzz')],
    id: [token.id, svc.id, webhook.id, verifier.id],
  };
  doc = json<OpenApiDocument>(await t.app.inject({ method: 'GET', url: '/openapi.json' }));
  routes = registeredRoutes(t.app).filter((r) => r.method !== 'HEAD' && !isServedElsewhere(r.path) && !SKIPPED.has(`${r.method} ${r.path}`));
});
afterAll(() => t.close());

const operationOf = (route: RegisteredRoute) => doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
const resolve = (schema: Schema | undefined): Schema | undefined => (schema?.$ref ? doc.components?.schemas?.[schema.$ref.split('/').pop()!] : schema);

/** Hostile scalars: the edges of every JSON type, and the strings that break naive code. */
const hostileScalar = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, -1e-308, '', ' ', '\u0000', '<script>alert(1)</script>', '\u202eevil', '\u200b', "' OR 1=1 --", '../..', 'x'.repeat(10_000), '2026-13-45T99:99:99Z', 'tok_', 'kw_', '__proto__', 'constructor', '💥'),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileScalar },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), hostileScalar, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Values a field of this schema might be given: valid-looking ones (enums, consts, its type) and hostile ones. */
function fieldValue(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const options: fc.Arbitrary<unknown>[] = [hostileValue];
  const literals = (x: Schema | undefined) => [...(x?.enum ?? []), ...(x?.const !== undefined ? [x.const] : [])];
  const enums = [...literals(s), ...(s?.anyOf ?? s?.oneOf ?? []).flatMap((x) => literals(resolve(x)))];
  if (enums.length > 0) options.push(fc.constantFrom(...enums));
  const items = resolve(s?.items);
  const itemEnums = [...literals(items), ...(items?.anyOf ?? items?.oneOf ?? []).flatMap((x) => literals(resolve(x)))];
  if (itemEnums.length > 0) options.push(fc.uniqueArray(fc.constantFrom(...itemEnums), { maxLength: 4 }));
  const types = [s?.type ?? []].flat();
  if (types.includes('string')) options.push(fc.string({ maxLength: 20 }), fc.constantFrom('devices:read', 'keyward:*', 'owner', 'admin', 'member', 'jwt', 'api_key', PUBLIC_URL, '127.0.0.1/32', 'a@b.test'));
  if (types.includes('integer') || types.includes('number')) options.push(fc.integer({ min: -10, max: 1_000_000 }), fc.constantFrom(0, 1, 30, 90, 365, 604_800, 604_801));
  if (types.includes('boolean')) options.push(fc.boolean());
  if (types.includes('array')) options.push(fc.array(fieldValue(s?.items), { maxLength: 4 }));
  return fc.oneof(...options);
}

/** A body near the schema: its own field names (some left out, some unknown ones added), each with a likely or hostile value. */
function nearValidBody(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const properties = Object.entries(s?.properties ?? {});
  const known = properties.length === 0 ? fc.constant({}) : fc.record(Object.fromEntries(properties.map(([name, field]) => [name, fieldValue(field)])), { requiredKeys: [] });
  const extra = fc.dictionary(fc.constantFrom('extra', 'id', 'org_id', 'owner_id', 'site_admin', 'status', 'revoked_at', 'impersonation', '__proto__', 'constructor'), hostileValue, { maxKeys: 2 });
  return fc.oneof(
    { weight: 6, arbitrary: known },
    { weight: 2, arbitrary: fc.tuple(known, extra).map(([a, b]) => ({ ...(a as object), ...b })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  );
}

/** A path parameter: a real id of that name, or something hostile. */
function pathFor(route: RegisteredRoute): fc.Arbitrary<string> {
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  if (names.length === 0) return fc.constant(route.path);
  const hostile = fc.constantFrom('x', 'x'.repeat(300), '..', '%2e%2e', '%00', 'org_', 'tok_00000000000000000000000000', '%F0%9F%92%A5', "'%20OR%201=1", '%E2%80%AE');
  const value = (name: string) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(ids[name] ?? ['x'])) }, { weight: 1, arbitrary: hostile });
  return fc.tuple(...names.map(value)).map((values) => {
    let i = 0;
    return route.path.replace(/:(\w+)(\([^)]*\))?/g, () => values[i++]!);
  });
}

function credentialsFor(route: RegisteredRoute): Record<string, string> {
  const key = `${route.method} ${route.path}`;
  if (PUBLIC.has(key)) return {};
  const schemes = (operationOf(route)?.security ?? []).flatMap((r) => Object.keys(r));
  if (schemes.includes('verifierAuth')) return { authorization: `Bearer ${verifier.secret}` };
  return admin;
}

async function send(options: InjectOptions, label: string): Promise<LightMyRequestResponse> {
  const started = performance.now();
  const response = await t.app.inject(options);
  const took = performance.now() - started;
  if (took > REQUEST_MS) throw new Error(`${label} took ${took.toFixed(0)} ms`);
  // Load shedding (503 service_unavailable) is the machine's state, not the input's: the time bound above catches an input that hangs.
  const shed = response.statusCode === 503 && response.body.includes('"service_unavailable"');
  if (response.statusCode >= 500 && !shed) throw new Error(`${label} → ${response.statusCode} ${response.body.slice(0, 300)}`);
  return response;
}

/** Which statuses a property saw: proof that its inputs reached the handlers, not only the 400s and 401s. */
function tally(): { add(status: number): void; seen(): Record<string, number> } {
  const counts: Record<string, number> = {};
  return { add: (status) => void (counts[`${Math.floor(status / 100)}xx`] = (counts[`${Math.floor(status / 100)}xx`] ?? 0) + 1), seen: () => counts };
}

let address = 0;
/** A fresh client address for each request, so the per-address limits do not turn the run into 429s. */
const nextAddress = () => `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address++ & 255}`;

describe('every JSON request body, fuzzed', () => {
  it('covers the routes that take a JSON body', () => {
    const withBodies = routes.filter((r) => operationOf(r)?.requestBody?.content?.['application/json']);
    expect(withBodies.length).toBeGreaterThan(15);
  });

  it('answers arbitrary and near-valid bodies on every route without a 500 or a hang', async () => {
    const withBodies = routes.filter((r) => operationOf(r)?.requestBody?.content?.['application/json']);
    const statuses = tally();
    const cases = fc.oneof(
      ...withBodies.map((route) =>
        fc.record({
          route: fc.constant(route),
          url: pathFor(route),
          body: nearValidBody(operationOf(route)!.requestBody!.content!['application/json']!.schema),
        }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ route, url, body }) => {
        const label = `${route.method} ${url} ${JSON.stringify(body)?.slice(0, 200)}`;
        const response = await send(
          {
            method: route.method as InjectOptions['method'],
            url,
            headers: { ...credentialsFor(route), 'content-type': 'application/json' },
            payload: JSON.stringify(body) ?? 'null',
            remoteAddress: nextAddress(),
          },
          label,
        );
        statuses.add(response.statusCode);
      }),
      { ...params(2000), timeout: REQUEST_MS },
    );
    // Some near-valid bodies were taken, most were refused: the fuzzing reached past validation.
    expect(statuses.seen()['2xx'] ?? 0).toBeGreaterThan(20);
    expect(statuses.seen()['4xx'] ?? 0).toBeGreaterThan(100);
  }, FUZZ_TIMEOUT);

  it('answers bodies that are not JSON, or lie about their type, without a 500', async () => {
    const withBodies = routes.filter((r) => operationOf(r)?.requestBody?.content?.['application/json']);
    const raw = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('{', '[', '{"a":', '{"__proto__":{"x":1}}', '{"a":1,"a":2}', '1e999999', '"\\ud800"', 'null', '', '\ufeff{}', `{"a":${'['.repeat(5000)}`));
    const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-16', 'application/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/merge-patch+json');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withBodies), raw, contentType, async (route, payload, type) => {
        const url = route.path.replace(/:(\w+)(\([^)]*\))?/g, (_m, name: string) => ids[name]?.[0] ?? 'x');
        const response = await send(
          { method: route.method as InjectOptions['method'], url, headers: { ...credentialsFor(route), ...(type ? { 'content-type': type } : {}) }, payload, remoteAddress: nextAddress() },
          `${route.method} ${url} ${type} ${JSON.stringify(payload).slice(0, 100)}`,
        );
        expect(response.statusCode).toBeLessThan(500);
      }),
      { ...params(1000), timeout: REQUEST_MS },
    );
  }, FUZZ_TIMEOUT);
});

describe('every authenticated route, fuzzed with credentials that are not valid', () => {
  it('never answers 2xx, nor 500, whatever the Authorization, X-API-Key or cookie', async () => {
    // RFC 7009 revocation answers 200 to any token it is given, by design: test/http/oauth covers it.
    const authenticated = routes.filter((r) => !PUBLIC.has(`${r.method} ${r.path}`) && r.path !== '/oauth/revoke');
    const valid = generateApiKey('kw');
    const nearMisses = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
      fc.nat({ max: valid.length - 1 }).map((i) => adminToken.slice(0, i) + (adminToken[i] === 'A' ? 'B' : 'A') + adminToken.slice(i + 1)),
      fc.constantFrom(valid, verifier.secret, adminToken.slice(0, -1), `${adminToken}x`, adminToken.toUpperCase(), 'kw_', '', 'eyJhbGciOiJub25lIn0.e30.', 'a.b.c'),
    );
    const credentials = fc.oneof(
      nearMisses.map((s) => ({ authorization: `Bearer ${s}` })),
      nearMisses.map((s) => ({ 'x-api-key': s })),
      nearMisses.map((s) => ({ authorization: `Basic ${Buffer.from(`${verifier.id}:${s}`).toString('base64')}` })),
      nearMisses.map((s) => ({ cookie: `kw_session=${encodeURIComponent(s)}`, 'x-csrf-token': s })),
      fc.tuple(nearMisses, nearMisses).map(([a, b]) => ({ authorization: [`Bearer ${a}`, `Bearer ${b}`] })),
      fc.constant({}),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...authenticated), credentials, async (route, headers) => {
        const url = route.path.replace(/:(\w+)(\([^)]*\))?/g, (_m, name: string) => ids[name]?.[0] ?? 'x');
        const hasBody = !['GET', 'DELETE'].includes(route.method);
        // The verifier secret is a valid credential of the verifier routes, the admin token of the others: neither is sent whole.
        const verifierRoute = (operationOf(route)?.security ?? []).some((r) => 'verifierAuth' in r) || route.path.startsWith('/oauth/');
        fc.pre(!(verifierRoute && JSON.stringify(headers).includes(verifier.secret)));
        const response = await send(
          { method: route.method as InjectOptions['method'], url, headers: headers as Record<string, string>, ...(hasBody ? { payload: {} } : {}), remoteAddress: nextAddress() },
          `${route.method} ${url} ${JSON.stringify(headers)}`,
        );
        expect(response.statusCode, `${route.method} ${url} ${JSON.stringify(headers)}`).not.toBeLessThan(300);
      }),
      { ...params(2500), timeout: REQUEST_MS },
    );
  }, FUZZ_TIMEOUT);

  it('answers forward auth for any method and URI without a 500, and 2xx only where the table allows', async () => {
    const routeUri = fc.tuple(fc.constantFrom(...DEVICE_LAB_ROUTES), fc.stringMatching(/^[A-Za-z0-9_-]{1,10}$/), fc.constantFrom('', '?page=2', '#x', '/', '/extra', '/..', '/.', '%2F')).map(
      ([rule, id, tail]) => rule.path.replace('{id}', id).replace('*', id) + tail,
    );
    const uri = fc.oneof(
      { weight: 2, arbitrary: routeUri },
      fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
      fc.array(fc.constantFrom('api', 'v1', 'devices', 'dev_1', '..', '.', '%2e', '%2F', '', 'insights', 'x'), { maxLength: 6 }).map((s) => `/${s.join('/')}`),
    );
    const method = fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'HEAD', 'get', 'TRACE', 'X');
    const statuses = tally();
    await fc.assert(
      fc.asyncProperty(method, uri, fc.boolean(), async (m, u, good) => {
        const token = good ? productToken : generateApiKey('kw');
        const response = await send(
          // From the trusted gateway (loopback), for a fresh end client each time, so the failed-auth limit stays out of it.
          { method: 'GET', url: '/auth/check', headers: { authorization: `Bearer ${token}`, 'x-original-method': m, 'x-original-uri': u, 'x-forwarded-for': nextAddress() }, remoteAddress: '127.0.0.1' },
          `/auth/check ${m} ${u}`,
        );
        const decision = t.ctx.config.routes.scopeFor(m, u);
        statuses.add(response.statusCode);
        if (response.statusCode < 300) {
          expect(good).toBe(true);
          expect(decision.allowed).toBe(true);
        }
      }),
      { ...params(1500), timeout: REQUEST_MS },
    );
    expect(statuses.seen()['2xx'] ?? 0).toBeGreaterThan(10);
  }, FUZZ_TIMEOUT);
});
