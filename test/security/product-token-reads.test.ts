import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { bearer } from '../http/tokens/helpers.js';

/**
 * Issue 9, finding 9: a token with only product scopes (`devices:read`) read management data:
 * the org's plan, features and policy, its scope catalog, and its owner's email through /me.
 * Reading the management API takes a `keyward:*` scope; /me answers a product-only token with the
 * token's own facts only: no email or name of the owner, and no orgs.
 */
let t: TestApp;
let org: Org;
let owner: User;
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx, { features: ['insights_api'] });
  owner = await makeUser(t.ctx, { email: 'private@example.test', name: 'Private Person' });
  await addMember(t.ctx, org, owner, 'owner');
  await addMember(t.ctx, await makeOrg(t.ctx), owner, 'owner');
});
afterEach(() => t.close());

const get = (url: string, secret: string) => t.app.inject({ method: 'GET', url, headers: bearer(secret) });

describe('a token with only product scopes', () => {
  for (const [name, url] of [
    ['GET /orgs/{org}', () => `/api/v1/orgs/${org.id}`],
    ['GET /orgs/{org}/scopes', () => `/api/v1/orgs/${org.id}/scopes`],
    ['GET /orgs', () => '/api/v1/orgs'],
  ] as const) {
    it(`is refused ${name} with 403 insufficient_scope`, async () => {
      const { secret } = await makeToken(t.ctx, org, owner, { scopes: ['devices:read'] });
      const response = await get(url(), secret);
      expect(response.statusCode, response.body).toBe(403);
      expect(json(response).code).toBe('insufficient_scope');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward", error="insufficient_scope", scope="keyward:tokens:read"');
      expect(response.body).not.toContain('enterprise');
    });
  }

  it('learns from /me only the facts of the token itself', async () => {
    const { id, secret } = await makeToken(t.ctx, org, owner, { scopes: ['devices:read'] });
    const response = await get('/api/v1/me', secret);
    expect(response.statusCode).toBe(200);
    const body = json(response);
    expect(body.token).toMatchObject({ id, org_id: org.id, scopes: ['devices:read'], owner: { type: 'user', id: owner.id } });
    expect(body.user).toMatchObject({ id: owner.id, email: null, name: '', site_admin: false, type: 'user' });
    expect(body.orgs).toEqual([]);
    expect(response.body).not.toContain('private@example.test');
    expect(response.body).not.toContain('Private Person');
  });
});

describe('a token with a keyward scope', () => {
  it('reads its org, its scope catalog and /me with the owner and its org', async () => {
    const { secret } = await makeToken(t.ctx, org, owner, { scopes: ['keyward:tokens:read', 'devices:read'] });
    expect((await get(`/api/v1/orgs/${org.id}`, secret)).statusCode).toBe(200);
    expect((await get(`/api/v1/orgs/${org.id}/scopes`, secret)).statusCode).toBe(200);
    expect(json(await get('/api/v1/orgs', secret)).data).toHaveLength(1);
    const me = json(await get('/api/v1/me', secret));
    expect(me.user.email).toBe('private@example.test');
    expect(me.orgs.map((o: { id: string }) => o.id)).toEqual([org.id]);
  });

  it('counts only while the owner still backs it: a demoted owner\'s keyward:audit:read token reads nothing', async () => {
    const member = await makeUser(t.ctx);
    await addMember(t.ctx, org, member, 'member');
    // A member holds no audit.read, so the scope is not among the token's effective scopes.
    const { secret } = await makeToken(t.ctx, org, member, { scopes: ['keyward:audit:read', 'devices:read'] });
    expect((await get(`/api/v1/orgs/${org.id}`, secret)).statusCode).toBe(403);
  });
});
