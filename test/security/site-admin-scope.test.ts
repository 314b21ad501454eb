import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier, PASSWORD, signIn } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { bearer } from '../http/tokens/helpers.js';

/**
 * Issue 9, finding 1: a token escapes its org through site-admin routes. An org token carries at
 * most its owner's membership in that org: deployment-wide operations (users, orgs, verifiers, the
 * deployment audit log, plans and features) are for a site admin's own session only, whatever the
 * token's scopes, and a site admin's token gets no more in its org than their role there gives.
 */
let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const ALL_KEYWARD = ['keyward:admin', 'keyward:tokens:read', 'keyward:tokens:write', 'keyward:audit:read', 'devices:read'];

type Fixture = { org: Org; root: User; victim: User; verifierId: string };

/** A site admin who is the owner of an org, holding a token there with every management scope. */
async function arrange(): Promise<Fixture & { headers: { authorization: string } }> {
  const org = await makeOrg(t.ctx);
  const root = await makeUser(t.ctx, { siteAdmin: true });
  await addMember(t.ctx, org, root, 'owner');
  const victim = await makeUser(t.ctx);
  const { id: verifierId } = await makeVerifier(t.ctx);
  const { secret } = await makeToken(t.ctx, org, root, { scopes: ALL_KEYWARD });
  return { org, root, victim, verifierId, headers: bearer(secret) };
}

type Call = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: (f: Fixture) => string; payload?: object };

const DEPLOYMENT_ROUTES: Record<string, Call> = {
  'POST /users (a new site admin)': {
    method: 'POST',
    url: () => '/api/v1/users',
    payload: { email: 'escape@example.test', name: 'Escape', password: PASSWORD, site_admin: true },
  },
  'GET /users': { method: 'GET', url: () => '/api/v1/users' },
  'POST /users/{user}/deactivate': { method: 'POST', url: (f) => `/api/v1/users/${f.victim.id}/deactivate` },
  'POST /users/{user}/reactivate': { method: 'POST', url: (f) => `/api/v1/users/${f.victim.id}/reactivate` },
  'POST /orgs': { method: 'POST', url: () => '/api/v1/orgs', payload: { name: 'Elsewhere', slug: 'elsewhere', plan: 'enterprise' } },
  'POST /verifiers': { method: 'POST', url: () => '/api/v1/verifiers', payload: { name: 'sneaky' } },
  'GET /verifiers': { method: 'GET', url: () => '/api/v1/verifiers' },
  'DELETE /verifiers/{id}': { method: 'DELETE', url: (f) => `/api/v1/verifiers/${f.verifierId}` },
  'GET /audit-events (the deployment log)': { method: 'GET', url: () => '/api/v1/audit-events' },
  'PATCH /orgs/{org} plan': { method: 'PATCH', url: (f) => `/api/v1/orgs/${f.org.id}`, payload: { plan: 'classroom_pro' } },
  'PATCH /orgs/{org} features': { method: 'PATCH', url: (f) => `/api/v1/orgs/${f.org.id}`, payload: { features: ['insights_api'] } },
};

describe("a site admin's org token with every keyward scope", () => {
  for (const [name, call] of Object.entries(DEPLOYMENT_ROUTES)) {
    it(`is refused ${name} with 403 forbidden`, async () => {
      const { headers, ...fixture } = await arrange();
      const response = await t.app.inject({ method: call.method, url: call.url(fixture), headers, ...(call.payload ? { payload: call.payload } : {}) });
      expect(response.statusCode, response.body).toBe(403);
      expect(json(response).code).toBe('forbidden');
    });
  }

  it('creates no user, no org and no verifier, and deactivates nobody', async () => {
    const { headers, ...fixture } = await arrange();
    for (const call of Object.values(DEPLOYMENT_ROUTES)) {
      await t.app.inject({ method: call.method, url: call.url(fixture), headers, ...(call.payload ? { payload: call.payload } : {}) });
    }
    expect(await t.ctx.db.selectFrom('users').select('id').where('email', '=', 'escape@example.test').execute()).toEqual([]);
    expect(await t.ctx.db.selectFrom('orgs').select('id').where('slug', '=', 'elsewhere').execute()).toEqual([]);
    expect(await t.ctx.db.selectFrom('verifiers').select('id').where('name', '=', 'sneaky').execute()).toEqual([]);
    const victim = await t.ctx.db.selectFrom('users').select('status').where('id', '=', fixture.victim.id).executeTakeFirstOrThrow();
    expect(victim.status).toBe('active');
    const org = await t.ctx.db.selectFrom('orgs').select('plan').where('id', '=', fixture.org.id).executeTakeFirstOrThrow();
    expect(org.plan).toBe('enterprise');
  });

  it('still does what the owner role gives in its own org', async () => {
    const { headers, org } = await arrange();
    const rename = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers, payload: { name: 'Renamed' } });
    expect(rename.statusCode, rename.body).toBe(200);
    const log = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/audit-events`, headers });
    expect(log.statusCode).toBe(200);
  });

  it('sees only its own org in GET /orgs and is no site admin in GET /me', async () => {
    const { headers, org } = await arrange();
    await makeOrg(t.ctx);
    const orgs = json(await t.app.inject({ method: 'GET', url: '/api/v1/orgs', headers }));
    expect(orgs.data.map((o: { id: string }) => o.id)).toEqual([org.id]);
    const me = json(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers }));
    expect(me.user.site_admin).toBe(false);
  });

  it("gets no more than its owner's role in the org: a site admin who is a plain member manages no one else's tokens", async () => {
    const org = await makeOrg(t.ctx);
    const root = await makeUser(t.ctx, { siteAdmin: true });
    await addMember(t.ctx, org, root, 'member');
    const colleague = await makeUser(t.ctx);
    await addMember(t.ctx, org, colleague, 'member');
    const theirs = await makeToken(t.ctx, org, colleague);
    const headers = bearer((await makeToken(t.ctx, org, root, { scopes: ['keyward:tokens:read', 'keyward:tokens:write'] })).secret);
    const all = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens?owner=all`, headers });
    expect(all.statusCode).toBe(403);
    const revoke = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${theirs.id}/revoke`, headers });
    expect(revoke.statusCode).toBe(404);
    const me = json(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers }));
    expect(me.orgs[0].permissions).toEqual(['tokens.create']);
  });

  it('leaves the site admin\'s own session every deployment-wide power', async () => {
    const { root, victim } = await arrange();
    const session = await signIn(t.app, root);
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: session, payload: { email: 'new@example.test', name: 'New', password: PASSWORD } });
    expect(created.statusCode).toBe(201);
    const deactivated = await t.app.inject({ method: 'POST', url: `/api/v1/users/${victim.id}/deactivate`, headers: session });
    expect(deactivated.statusCode).toBe(200);
  });
});
