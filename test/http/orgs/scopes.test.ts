import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeOrg, makeToken, seedOrg } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const names = (body: Record<string, any>): string[] => body.data.map((s: { name: string }) => s.name);

describe('GET /api/v1/orgs/{org}/scopes', () => {
  it('shows any member the catalog without the scopes of features the org lacks', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/scopes`, headers: member.headers });
    expect(response.statusCode).toBe(200);
    const body = json(response);
    expect(names(body)).toContain('devices:read');
    expect(names(body)).not.toContain('insights:read');
    expect(names(body)).toContain('keyward:tokens:write');
    expect(body.next_cursor).toBeNull();
    expect(body.data[0]).toEqual({ name: 'devices:read', description: 'List and read devices.' });
  });

  it('shows a gated scope, with its feature, to an org that has the feature', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { features: ['insights_api'] });
    const body = json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/scopes`, headers: member.headers }));
    expect(body.data).toContainEqual({ name: 'insights:read', description: 'Read the Insights API.', feature: 'insights_api' });
  });

  it('answers a token of the org with any keyward scope, and refuses a product-only one (issue 9, finding 9)', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const url = `/api/v1/orgs/${org.id}/scopes`;
    const manager = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:tokens:read', 'devices:read'] });
    expect((await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${manager.secret}` } })).statusCode).toBe(200);
    const product = await makeToken(t.ctx, org, member.user, { scopes: ['devices:read'] });
    const refused = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${product.secret}` } });
    expect(refused.statusCode).toBe(403);
    expect(json(refused).code).toBe('insufficient_scope');
  });

  it("answers 404 for another org's catalog, also to a token of another org", async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${other.id}/scopes`, headers: member.headers })).statusCode).toBe(404);
    const { secret } = await makeToken(t.ctx, org, member.user);
    const byToken = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${other.id}/scopes`, headers: { authorization: `Bearer ${secret}` } });
    expect(byToken.statusCode).toBe(404);
  });

  it('answers 401 without credentials and 400 for a malformed org id', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/scopes` })).statusCode).toBe(401);
    const long = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${'x'.repeat(65)}/scopes`, headers: member.headers });
    expect(long.statusCode).toBe(400);
  });
});
