import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyToken } from '../../../src/services/verification.js';
import { addMember, makeOrg, makeRole, makeToken, makeUser, seedOrg } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const rolesUrl = (orgId: string, roleId?: string) => `/api/v1/orgs/${orgId}/roles${roleId ? `/${roleId}` : ''}`;

async function auditEvents(action: string) {
  return t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', action).execute();
}

describe('GET /api/v1/orgs/{org}/roles', () => {
  it('lists the built-in roles first, read-only with their permissions, then custom roles', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const custom = await makeRole(t.ctx, org, ['audit.read', 'tokens.create'], 'auditor');
    const response = await t.app.inject({ method: 'GET', url: rolesUrl(org.id), headers: admin.headers });
    expect(response.statusCode).toBe(200);
    const body = json(response);
    expect(body.data.map((r: { id: string }) => r.id)).toEqual(['owner', 'admin', 'member', custom]);
    expect(body.data[0]).toMatchObject({ name: 'owner', built_in: true, created_at: null, permissions: expect.arrayContaining(['org.manage']) });
    expect(body.data[1].permissions).not.toContain('org.manage');
    expect(body.data[2].permissions).toEqual(['tokens.create']);
    expect(body.data[3]).toMatchObject({ name: 'auditor', built_in: false, permissions: ['tokens.create', 'audit.read'] });
  });

  it('shows that members create no tokens when self-service is off', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx, { policy: { self_service: false } });
    const body = json(await t.app.inject({ method: 'GET', url: rolesUrl(org.id), headers: admin.headers }));
    expect(body.data[2]).toMatchObject({ id: 'member', permissions: [] });
  });

  it('answers 403 to a member, 404 for another org, 401 without credentials', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    expect((await t.app.inject({ method: 'GET', url: rolesUrl(org.id), headers: member.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: rolesUrl(other.id), headers: admin.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: rolesUrl(org.id) })).statusCode).toBe(401);
  });
});

describe('POST /api/v1/orgs/{org}/roles', () => {
  it('creates a custom role, audited', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({
      method: 'POST',
      url: rolesUrl(org.id),
      headers: admin.headers,
      payload: { name: ' Token steward ', description: 'Manages CI tokens.', permissions: ['tokens.manage', 'tokens.create', 'tokens.manage'] },
    });
    expect(response.statusCode).toBe(201);
    const role = json(response);
    expect(role).toMatchObject({ name: 'Token steward', description: 'Manages CI tokens.', permissions: ['tokens.create', 'tokens.manage'], built_in: false });
    expect(role.id).toMatch(/^rol_/);
    const [event] = await auditEvents('role.created');
    expect(event).toMatchObject({ org_id: org.id, actor_id: admin.user.id, target_type: 'role', target_id: role.id });
  });

  it('refuses a permission the creator lacks (403)', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({ method: 'POST', url: rolesUrl(org.id), headers: admin.headers, payload: { name: 'boss', permissions: ['org.manage'] } });
    expect(response.statusCode).toBe(403);
  });

  it('refuses a name taken by a built-in or a custom role, ignoring case (409)', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    await makeRole(t.ctx, org, ['tokens.create'], 'Auditor');
    for (const name of ['Admin', 'auditor']) {
      const response = await t.app.inject({ method: 'POST', url: rolesUrl(org.id), headers: admin.headers, payload: { name, permissions: [] } });
      expect(response.statusCode).toBe(409);
    }
  });

  it('rejects an unknown permission or a missing name with 400', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    for (const payload of [{ name: 'x', permissions: ['root'] }, { permissions: [] }, { name: 'x', permissions: [], extra: true }]) {
      expect((await t.app.inject({ method: 'POST', url: rolesUrl(org.id), headers: admin.headers, payload })).statusCode).toBe(400);
    }
  });

  it('answers 403 to a member, 404 for another org, 401 without credentials', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    const payload = { name: 'x', permissions: [] };
    expect((await t.app.inject({ method: 'POST', url: rolesUrl(org.id), headers: member.headers, payload })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: rolesUrl(other.id), headers: admin.headers, payload })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: rolesUrl(org.id), payload })).statusCode).toBe(401);
  });
});

describe('PATCH /api/v1/orgs/{org}/roles/{role}', () => {
  it('renames and changes permissions, audited with before and after', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const id = await makeRole(t.ctx, org, ['tokens.create'], 'ci');
    const response = await t.app.inject({ method: 'PATCH', url: rolesUrl(org.id, id), headers: admin.headers, payload: { name: 'CI', permissions: ['tokens.create', 'tokens.manage'] } });
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ id, name: 'CI', permissions: ['tokens.create', 'tokens.manage'] });
    const [event] = await auditEvents('role.updated');
    expect(JSON.parse(event!.details)).toEqual({
      before: { name: 'ci', permissions: ['tokens.create'] },
      after: { name: 'CI', permissions: ['tokens.create', 'tokens.manage'] },
    });
  });

  it("takes power from the holders' cached tokens at once", async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const id = await makeRole(t.ctx, org, ['tokens.create', 'audit.read'], 'auditor');
    const holder = await makeUser(t.ctx);
    await addMember(t.ctx, org, holder, id);
    const { secret } = await makeToken(t.ctx, org, holder, { scopes: ['keyward:audit:read'] });
    expect((await verifyToken(t.ctx, { secret, requiredScopes: ['keyward:audit:read'] })).code).toBe('VALID');
    await t.app.inject({ method: 'PATCH', url: rolesUrl(org.id, id), headers: admin.headers, payload: { permissions: ['tokens.create'] } });
    expect((await verifyToken(t.ctx, { secret, requiredScopes: ['keyward:audit:read'] })).code).toBe('INSUFFICIENT_SCOPE');
  });

  it('refuses to change built-in roles (409) and to edit a role beyond the editor (403)', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    expect((await t.app.inject({ method: 'PATCH', url: rolesUrl(org.id, 'member'), headers: admin.headers, payload: { permissions: [] } })).statusCode).toBe(409);
    const id = await makeRole(t.ctx, org, ['org.manage'], 'settings');
    expect((await t.app.inject({ method: 'PATCH', url: rolesUrl(org.id, id), headers: admin.headers, payload: { permissions: [] } })).statusCode).toBe(403);
  });

  it('refuses a rename onto a taken name (409)', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    await makeRole(t.ctx, org, [], 'one');
    const two = await makeRole(t.ctx, org, [], 'two');
    expect((await t.app.inject({ method: 'PATCH', url: rolesUrl(org.id, two), headers: admin.headers, payload: { name: 'ONE' } })).statusCode).toBe(409);
  });

  it("answers 404 for another org's role, 400 for a bad body, 403 to a member, 401 without credentials", async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    const foreign = await makeRole(t.ctx, other, [], 'foreign');
    const mine = await makeRole(t.ctx, org, [], 'mine');
    expect((await t.app.inject({ method: 'PATCH', url: rolesUrl(org.id, foreign), headers: admin.headers, payload: { name: 'x' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'PATCH', url: rolesUrl(other.id, foreign), headers: admin.headers, payload: { name: 'x' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'PATCH', url: rolesUrl(org.id, mine), headers: admin.headers, payload: { permissions: ['x'] } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'PATCH', url: rolesUrl(org.id, mine), headers: member.headers, payload: { name: 'x' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: rolesUrl(org.id, mine), payload: { name: 'x' } })).statusCode).toBe(401);
  });
});

describe('DELETE /api/v1/orgs/{org}/roles/{role}', () => {
  it('deletes a role nobody holds, audited', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const id = await makeRole(t.ctx, org, [], 'spare');
    expect((await t.app.inject({ method: 'DELETE', url: rolesUrl(org.id, id), headers: admin.headers })).statusCode).toBe(204);
    const list = json(await t.app.inject({ method: 'GET', url: rolesUrl(org.id), headers: admin.headers }));
    expect(list.data.map((r: { id: string }) => r.id)).not.toContain(id);
    expect(await auditEvents('role.deleted')).toHaveLength(1);
  });

  it('refuses while a member holds the role (409), and for built-ins (409)', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const id = await makeRole(t.ctx, org, [], 'held');
    await addMember(t.ctx, org, await makeUser(t.ctx), id);
    expect((await t.app.inject({ method: 'DELETE', url: rolesUrl(org.id, id), headers: admin.headers })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: rolesUrl(org.id, 'admin'), headers: admin.headers })).statusCode).toBe(409);
  });

  it("answers 404 for another org's role, 403 to a member, 401 without credentials, 400 for a bad id", async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    const foreign = await makeRole(t.ctx, other, [], 'foreign');
    const mine = await makeRole(t.ctx, org, [], 'mine');
    expect((await t.app.inject({ method: 'DELETE', url: rolesUrl(org.id, foreign), headers: admin.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: rolesUrl(org.id, mine), headers: member.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: rolesUrl(org.id, mine) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: rolesUrl(org.id, 'r'.repeat(65)), headers: admin.headers })).statusCode).toBe(400);
  });
});
