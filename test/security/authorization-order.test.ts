import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { addMember, makeOrg, makeRole, makeServiceAccount, makeToken, makeUser, makeVerifier, signIn } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { bearer } from '../http/tokens/helpers.js';
import { isServedElsewhere, registeredRoutes, type RegisteredRoute } from '../http/route-table.js';

/**
 * Issue 9, finding 12: validation ran before authorization, so a member posting an incomplete body
 * to a site-admin or `members.manage` route got 400 and learned the schema. DESIGN §3 orders the
 * refusals 401 → 403 (or 404 for another org's or a hidden object) → 400 → 422: every mutating
 * route, called with an empty or a stray body by someone who may not use it, answers 403 or 404 —
 * never 400, never 2xx. Routes are read from the app, so a new route is covered at once.
 */

/** Mutating routes left out, each for its reason; the list is checked against the app so it cannot rot. */
const EXCLUDED: Record<string, string> = {
  'POST /api/v1/session': 'public: signing in',
  'DELETE /api/v1/session': 'anyone signed in may sign out',
  'POST /api/v1/setup': 'public: first-run setup',
  'POST /api/v1/leaks': 'public: anyone may report a leaked token',
  'POST /api/v1/tokens/self/rotate': 'possession is the authority: a token may always rotate itself',
  'POST /api/v1/verify': 'verifier credentials only (test/http/verify)',
};

/**
 * Routes that authenticate another way, each with its own order tests: forward auth (any method;
 * test/http/gateway), introspection and revocation by possession (test/http/oauth).
 */
const OWN_AUTHENTICATION = (path: string) => path.startsWith('/auth/check') || path.startsWith('/oauth/');

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const label = (route: RegisteredRoute) => `${route.method} ${route.path}`;

type Ids = { org: string; colleague: string; colleagueToken: string; role: string; serviceAccount: string; verifier: string; webhook: string };

/** The path with every parameter naming a real object of the org (or a well-formed id, where none is needed). */
function urlOf(route: RegisteredRoute, ids: Ids): string {
  return route.path.replace(/:(\w+)(\([^)]*\))?/g, (_match, name: string, _regex, offset: number) => {
    const before = route.path.slice(0, offset);
    if (name === 'org') return ids.org;
    if (name === 'user') return ids.colleague;
    if (name === 'role') return ids.role;
    if (name === 'id' && before.endsWith('/tokens/')) return ids.colleagueToken;
    if (name === 'id' && before.endsWith('/service-accounts/')) return ids.serviceAccount;
    if (name === 'id' && before.endsWith('/verifiers/')) return ids.verifier;
    if (name === 'id' && before.endsWith('/webhooks/')) return ids.webhook;
    throw new Error(`${label(route)}: say which object :${name} names here`);
  });
}

const PERSONAS = ['member (self-service off)', 'member of another org', "admin's token without keyward scopes", "service account's token with keyward:tokens:*"] as const;
type Persona = (typeof PERSONAS)[number];

let t: TestApp;
let ids: Ids;
let headersOf: Record<Persona, Record<string, string>>;
let routes: RegisteredRoute[];

beforeAll(async () => {
  t = await startTestApp();
  const org = await makeOrg(t.ctx, { policy: { self_service: false } });
  const [member, admin, colleague, outsider] = [await makeUser(t.ctx), await makeUser(t.ctx), await makeUser(t.ctx), await makeUser(t.ctx)];
  await addMember(t.ctx, org, member, 'member');
  await addMember(t.ctx, org, admin, 'admin');
  await addMember(t.ctx, org, colleague, 'member');
  await addMember(t.ctx, await makeOrg(t.ctx), outsider, 'owner');
  const bot = await makeServiceAccount(t.ctx, org);
  ids = {
    org: org.id,
    colleague: colleague.id,
    colleagueToken: (await makeToken(t.ctx, org, colleague)).id,
    role: await makeRole(t.ctx, org, ['audit.read'], 'auditors'),
    serviceAccount: bot.id,
    verifier: (await makeVerifier(t.ctx)).id,
    webhook: newId('whk', t.clock.now()),
  };
  headersOf = {
    'member (self-service off)': await signIn(t.app, member),
    'member of another org': await signIn(t.app, outsider),
    "admin's token without keyward scopes": bearer((await makeToken(t.ctx, org, admin, { scopes: ['devices:read'] })).secret),
    "service account's token with keyward:tokens:*": bearer(
      (await makeToken(t.ctx, org, bot, { scopes: ['keyward:tokens:read', 'keyward:tokens:write', 'devices:read'] })).secret,
    ),
  };
  routes = registeredRoutes(t.app).filter(
    (r) => MUTATING.has(r.method) && !isServedElsewhere(r.path) && !OWN_AUTHENTICATION(r.path) && !(label(r) in EXCLUDED),
  );
});
afterAll(() => t.close());

describe('authorization comes before body validation', () => {
  it('covers every mutating route but the excluded ones, which all exist', () => {
    expect(routes.length).toBeGreaterThan(20);
    for (const known of ['POST /api/v1/users', 'POST /api/v1/orgs/:org/members', 'PATCH /api/v1/orgs/:org', 'POST /api/v1/orgs/:org/tokens/:id/rotate']) {
      expect(routes.map(label)).toContain(known);
    }
    const served = new Set(registeredRoutes(t.app).map(label));
    expect(Object.keys(EXCLUDED).filter((route) => !served.has(route)), 'excluded routes that no longer exist').toEqual([]);
  });

  for (const persona of PERSONAS) {
    for (const [variant, payload] of [
      ['an empty body', {}],
      ['a body with a stray field', { unexpected: true }],
    ] as const) {
      it(`answers ${persona} posting ${variant} 403 or 404 on every mutating route`, async () => {
        const wrong: string[] = [];
        for (const route of routes) {
          const response = await t.app.inject({ method: route.method as 'POST', url: urlOf(route, ids), headers: headersOf[persona], payload });
          if (response.statusCode !== 403 && response.statusCode !== 404) wrong.push(`${label(route)} → ${response.statusCode} ${response.body.slice(0, 160)}`);
        }
        expect(wrong).toEqual([]);
      });
    }
  }

  it('answers 404, not 403, for an org the caller is no member of, and 403 with the permission it lacks in their own', async () => {
    const members = routes.find((r) => label(r) === 'POST /api/v1/orgs/:org/members')!;
    const outside = await t.app.inject({ method: 'POST', url: urlOf(members, ids), headers: headersOf['member of another org'], payload: {} });
    expect(json(outside).code).toBe('not_found');
    const inside = await t.app.inject({ method: 'POST', url: urlOf(members, ids), headers: headersOf['member (self-service off)'], payload: {} });
    expect(json(inside)).toMatchObject({ code: 'forbidden', detail: 'This needs the members.manage permission.' });
    const token = await t.app.inject({ method: 'POST', url: urlOf(members, ids), headers: headersOf["admin's token without keyward scopes"], payload: {} });
    expect(json(token).code).toBe('insufficient_scope');
  });

  it('still validates the body for a caller who may use the route', async () => {
    const owner = await makeUser(t.ctx);
    const org = await makeOrg(t.ctx);
    await addMember(t.ctx, org, owner, 'owner');
    const session = await signIn(t.app, owner);
    for (const url of [`/api/v1/orgs/${org.id}/members`, `/api/v1/orgs/${org.id}/roles`, `/api/v1/orgs/${org.id}/tokens`, `/api/v1/orgs/${org.id}/service-accounts`]) {
      const response = await t.app.inject({ method: 'POST', url, headers: session, payload: {} });
      expect(response.statusCode, url).toBe(400);
      expect(json(response).code).toBe('validation_failed');
    }
  });
});
