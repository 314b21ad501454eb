import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyToken } from '../../../src/services/verification.js';
import { addMember, makeOrg, makeRole, makeToken, makeUser, seedOrg, signIn } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const membersUrl = (orgId: string, userId?: string) => `/api/v1/orgs/${orgId}/members${userId ? `/${userId}` : ''}`;

async function auditEvents(action: string) {
  return t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', action).execute();
}

async function tokenRow(id: string) {
  return t.ctx.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('GET /api/v1/orgs/{org}/members', () => {
  it('lists every member with their identity and role to an admin', async () => {
    const { org, owner, admin, member } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({ method: 'GET', url: membersUrl(org.id), headers: admin.headers });
    expect(response.statusCode).toBe(200);
    const body = json(response);
    expect(body.data).toHaveLength(3);
    expect(body.data).toContainEqual({
      org_id: org.id,
      user: { id: member.user.id, email: member.user.email, name: member.user.name, type: 'user', status: 'active' },
      role: 'member',
      created_at: new Date(t.clock.now()).toISOString(),
    });
    expect(body.data.map((m: { role: string }) => m.role).sort()).toEqual(['admin', 'member', 'owner']);
    expect(body.data.map((m: { user: { id: string } }) => m.user.id)).toContain(owner.user.id);
    expect(body.next_cursor).toBeNull();
  });

  it('pages with a cursor', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const first = json(await t.app.inject({ method: 'GET', url: `${membersUrl(org.id)}?limit=2`, headers: owner.headers }));
    expect(first.data).toHaveLength(2);
    const second = json(await t.app.inject({ method: 'GET', url: `${membersUrl(org.id)}?limit=2&cursor=${first.next_cursor}`, headers: owner.headers }));
    expect(second.data).toHaveLength(1);
    expect(second.next_cursor).toBeNull();
  });

  it('is open to holders of tokens.impersonate, closed to plain members (403)', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    expect((await t.app.inject({ method: 'GET', url: membersUrl(org.id), headers: member.headers })).statusCode).toBe(403);
    const role = await makeRole(t.ctx, org, ['tokens.impersonate']);
    const helper = await makeUser(t.ctx);
    await addMember(t.ctx, org, helper, role);
    const { secret } = await makeToken(t.ctx, org, helper, { scopes: ['keyward:tokens:read'] });
    const response = await t.app.inject({ method: 'GET', url: membersUrl(org.id), headers: { authorization: `Bearer ${secret}` } });
    expect(response.statusCode).toBe(200);
  });

  it('needs a keyward:* scope from a token (403 insufficient_scope)', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, admin.user, { scopes: ['devices:read'] });
    const response = await t.app.inject({ method: 'GET', url: membersUrl(org.id), headers: { authorization: `Bearer ${secret}` } });
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('insufficient_scope');
  });

  it("answers 404 for another org's members, 401 without credentials, 400 for a bad limit", async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    expect((await t.app.inject({ method: 'GET', url: membersUrl(other.id), headers: admin.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: membersUrl(org.id) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: `${membersUrl(org.id)}?limit=101`, headers: admin.headers })).statusCode).toBe(400);
  });
});

describe('POST /api/v1/orgs/{org}/members', () => {
  it('adds a user by email with a built-in role, audited', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const user = await makeUser(t.ctx);
    const response = await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers: admin.headers, payload: { email: user.email, role: 'admin' } });
    expect(response.statusCode).toBe(201);
    expect(json(response)).toMatchObject({ org_id: org.id, user: { id: user.id, email: user.email, type: 'user', status: 'active' }, role: 'admin' });
    const [event] = await auditEvents('member.added');
    expect(event).toMatchObject({ org_id: org.id, actor_id: admin.user.id, target_type: 'user', target_id: user.id });
    expect(JSON.parse(event!.details)).toEqual({ role: 'admin' });
  });

  it('adds a user by id with a custom role of the org', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const role = await makeRole(t.ctx, org, ['tokens.create', 'audit.read'], 'auditor');
    const user = await makeUser(t.ctx);
    const response = await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers: admin.headers, payload: { user_id: user.id, role } });
    expect(response.statusCode).toBe(201);
    expect(json(response).role).toBe(role);
  });

  it('lets only an owner grant the owner role', async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx);
    const user = await makeUser(t.ctx);
    const byAdmin = await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers: admin.headers, payload: { user_id: user.id, role: 'owner' } });
    expect(byAdmin.statusCode).toBe(403);
    const byOwner = await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers: owner.headers, payload: { user_id: user.id, role: 'owner' } });
    expect(byOwner.statusCode).toBe(201);
  });

  it('refuses to grant a custom role with permissions the granter lacks (403)', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const role = await makeRole(t.ctx, org, ['org.manage'], 'settings');
    const user = await makeUser(t.ctx);
    const response = await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers: admin.headers, payload: { user_id: user.id, role } });
    expect(response.statusCode).toBe(403);
  });

  it('answers 422 for an unknown or deactivated user, or a role the org does not have', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    const foreignRole = await makeRole(t.ctx, other, ['tokens.create']);
    const gone = await makeUser(t.ctx, { status: 'deactivated' });
    const user = await makeUser(t.ctx);
    for (const [payload, code] of [
      [{ email: 'nobody@example.test', role: 'member' }, 'unknown_user'],
      [{ user_id: 'usr_0000000000000000000000', role: 'member' }, 'unknown_user'],
      [{ user_id: gone.id, role: 'member' }, 'user_deactivated'],
      [{ user_id: user.id, role: foreignRole }, 'unknown_role'],
      [{ user_id: user.id, role: 'superuser' }, 'unknown_role'],
    ] as const) {
      const response = await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers: admin.headers, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      expect(json(response).code).toBe(code);
    }
  });

  it('answers 409 for someone who is a member already', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers: admin.headers, payload: { user_id: member.user.id, role: 'admin' } });
    expect(response.statusCode).toBe(409);
  });

  it('answers 400 for a body with neither or both of user_id and email, or extra fields', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const user = await makeUser(t.ctx);
    for (const payload of [{ role: 'member' }, { user_id: user.id, email: user.email, role: 'member' }, { user_id: user.id, role: 'member', extra: 1 }, { user_id: user.id }]) {
      const response = await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers: admin.headers, payload });
      expect(response.statusCode).toBe(400);
    }
  });

  it('answers 403 to a member, 404 for another org, 401 without credentials', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    const user = await makeUser(t.ctx);
    const payload = { user_id: user.id, role: 'member' };
    expect((await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers: member.headers, payload })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: membersUrl(other.id), headers: admin.headers, payload })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: membersUrl(org.id), payload })).statusCode).toBe(401);
  });
});

describe('PATCH /api/v1/orgs/{org}/members/{user}', () => {
  it("changes a member's role, audited with from and to", async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({ method: 'PATCH', url: membersUrl(org.id, member.user.id), headers: admin.headers, payload: { role: 'admin' } });
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ role: 'admin', user: { id: member.user.id } });
    const [event] = await auditEvents('member.role_changed');
    expect(JSON.parse(event!.details)).toEqual({ from: 'member', to: 'admin' });
  });

  it("shrinks the member's tokens at once, even cached ones", async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, admin.user, { scopes: ['keyward:admin', 'devices:read'] });
    expect((await verifyToken(t.ctx, { secret, requiredScopes: ['keyward:admin'] })).code).toBe('VALID');
    await t.app.inject({ method: 'PATCH', url: membersUrl(org.id, admin.user.id), headers: owner.headers, payload: { role: 'member' } });
    const after = await verifyToken(t.ctx, { secret, requiredScopes: ['keyward:admin'] });
    expect(after.code).toBe('INSUFFICIENT_SCOPE');
    expect(after.record?.effectiveScopes).toEqual(['devices:read']);
  });

  it('keeps the last owner (409) but lets an owner step down when another exists', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const demote = await t.app.inject({ method: 'PATCH', url: membersUrl(org.id, owner.user.id), headers: owner.headers, payload: { role: 'admin' } });
    expect(demote.statusCode).toBe(409);
    expect(json(demote).code).toBe('conflict');
    const second = await makeUser(t.ctx);
    await addMember(t.ctx, org, second, 'owner');
    const again = await t.app.inject({ method: 'PATCH', url: membersUrl(org.id, owner.user.id), headers: owner.headers, payload: { role: 'admin' } });
    expect(again.statusCode).toBe(200);
  });

  it('does not let an admin touch an owner or make themselves owner (403)', async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx);
    const second = await makeUser(t.ctx);
    await addMember(t.ctx, org, second, 'owner');
    const demote = await t.app.inject({ method: 'PATCH', url: membersUrl(org.id, owner.user.id), headers: admin.headers, payload: { role: 'member' } });
    expect(demote.statusCode).toBe(403);
    const promote = await t.app.inject({ method: 'PATCH', url: membersUrl(org.id, admin.user.id), headers: admin.headers, payload: { role: 'owner' } });
    expect(promote.statusCode).toBe(403);
  });

  it('answers 404 for a user who is not a member, or another org', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const outsider = await makeUser(t.ctx);
    const other = await makeOrg(t.ctx);
    await addMember(t.ctx, other, outsider);
    expect((await t.app.inject({ method: 'PATCH', url: membersUrl(org.id, outsider.id), headers: admin.headers, payload: { role: 'admin' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'PATCH', url: membersUrl(other.id, outsider.id), headers: admin.headers, payload: { role: 'admin' } })).statusCode).toBe(404);
  });

  it('answers 400 for a bad body, 403 to a member, 401 without credentials', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const url = membersUrl(org.id, admin.user.id);
    expect((await t.app.inject({ method: 'PATCH', url, headers: admin.headers, payload: { role: 'admin', name: 'x' } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'PATCH', url, headers: member.headers, payload: { role: 'member' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url, payload: { role: 'member' } })).statusCode).toBe(401);
  });
});

describe('DELETE /api/v1/orgs/{org}/members/{user}', () => {
  it('removes a member and disables all their tokens in the org at once', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    await addMember(t.ctx, other, member.user);
    const here = await makeToken(t.ctx, org, member.user);
    const there = await makeToken(t.ctx, other, member.user);
    const bearer = { authorization: `Bearer ${here.secret}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer })).statusCode).toBe(200);

    const response = await t.app.inject({ method: 'DELETE', url: membersUrl(org.id, member.user.id), headers: admin.headers });
    expect(response.statusCode).toBe(204);

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer });
    expect(me.statusCode).toBe(401);
    expect(json(me).code).toBe('invalid_token');
    expect(await tokenRow(here.id)).toMatchObject({ disabled_reason: 'owner_deactivated', disabled_at: t.clock.now() });
    expect((await tokenRow(there.id)).disabled_at).toBeNull();
    const [removed] = await auditEvents('member.removed');
    expect(removed).toMatchObject({ org_id: org.id, actor_id: admin.user.id, target_id: member.user.id });
    expect(JSON.parse(removed!.details)).toEqual({ role: 'member', disabled_tokens: 1 });
    expect((await auditEvents('token.disabled')).map((e) => e.target_id)).toEqual([here.id]);
  });

  it('does not re-enable the tokens when the person is added back', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, member.user);
    await t.app.inject({ method: 'DELETE', url: membersUrl(org.id, member.user.id), headers: admin.headers });
    await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers: admin.headers, payload: { user_id: member.user.id, role: 'member' } });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(401);
  });

  it('keeps the last owner (409); an owner may remove another owner', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    expect((await t.app.inject({ method: 'DELETE', url: membersUrl(org.id, owner.user.id), headers: owner.headers })).statusCode).toBe(409);
    const second = await makeUser(t.ctx);
    await addMember(t.ctx, org, second, 'owner');
    expect((await t.app.inject({ method: 'DELETE', url: membersUrl(org.id, second.id), headers: owner.headers })).statusCode).toBe(204);
  });

  it('does not let an admin remove an owner (403)', async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx);
    await addMember(t.ctx, org, await makeUser(t.ctx), 'owner');
    expect((await t.app.inject({ method: 'DELETE', url: membersUrl(org.id, owner.user.id), headers: admin.headers })).statusCode).toBe(403);
  });

  it('answers 404 for a non-member or another org, 403 to a member, 401 without credentials', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    expect((await t.app.inject({ method: 'DELETE', url: membersUrl(org.id, other.member.user.id), headers: admin.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: membersUrl(other.org.id, other.member.user.id), headers: admin.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: membersUrl(org.id, admin.user.id), headers: member.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: membersUrl(org.id, member.user.id) })).statusCode).toBe(401);
  });

  it('answers 400 for a malformed user id', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    expect((await t.app.inject({ method: 'DELETE', url: membersUrl(org.id, 'u'.repeat(65)), headers: admin.headers })).statusCode).toBe(400);
  });
});

describe('a site admin in an org they do not belong to', () => {
  it('manages its members with every permission, audited as themselves', async () => {
    const { org } = await seedOrg(t.app, t.ctx);
    const siteAdmin = await makeUser(t.ctx, { siteAdmin: true });
    const headers = await signIn(t.app, siteAdmin);
    const user = await makeUser(t.ctx);
    const response = await t.app.inject({ method: 'POST', url: membersUrl(org.id), headers, payload: { user_id: user.id, role: 'owner' } });
    expect(response.statusCode).toBe(201);
    const [event] = await auditEvents('member.added');
    expect(event).toMatchObject({ actor_id: siteAdmin.id, actor_type: 'user', org_id: org.id });
  });
});
