import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeOrg, makeRole, makeServiceAccount, makeToken, makeUser, makeVerifier, seedOrg, signIn } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { setUserStatus } from '../../../src/store/users.js';
import { auditRows, bearer, createToken, me, NEW_TOKEN, tokenAction } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

function impersonate(orgId: string, userId: string, headers: Record<string, string>, payload: object = NEW_TOKEN) {
  return t.app.inject({ method: 'POST', url: `/api/v1/orgs/${orgId}/members/${userId}/tokens`, headers, payload });
}

describe('POST /api/v1/orgs/{org}/members/{user}/tokens', () => {
  it('mints a new impersonation token on every call, owned by the member and created by the admin', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const first = await impersonate(org.id, member.user.id, admin.headers);
    const second = await impersonate(org.id, member.user.id, admin.headers);
    expect(first.statusCode).toBe(201);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(second.statusCode).toBe(201);
    expect(json(first).token.id).not.toBe(json(second).token.id);
    expect(json(first).token).toMatchObject({
      impersonation: true,
      owner: { type: 'user', id: member.user.id },
      created_by: { id: admin.user.id },
    });
    const whoami = await me(t, json(first).secret);
    expect(json(whoami).user.id).toBe(member.user.id);
    const created = (await auditRows(t)).filter((e) => e.action === 'token.created');
    expect(created).toHaveLength(2);
    expect(created[0]!.actor_id).toBe(admin.user.id);
    expect(JSON.parse(created[0]!.details)).toMatchObject({ impersonation: true, owner_id: member.user.id });
  });

  it('is invisible to the impersonated member and visible to the admin', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const { token } = json(await impersonate(org.id, member.user.id, admin.headers));
    const memberList = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens`, headers: member.headers });
    expect(json(memberList).data).toEqual([]);
    const memberGet = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens/${token.id}`, headers: member.headers });
    expect(memberGet.statusCode).toBe(404);
    expect((await tokenAction(t, member.headers, org.id, token.id, 'revoke')).statusCode).toBe(404);
    const adminList = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens?owner=${member.user.id}`, headers: admin.headers });
    expect(json(adminList).data.map((d: { id: string }) => d.id)).toEqual([token.id]);
    const adminGet = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens/${token.id}`, headers: admin.headers });
    expect(json(adminGet)).toMatchObject({ id: token.id, impersonation: true });
  });

  it('hides impersonation tokens from holders of tokens.manage without tokens.impersonate', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const manager = await makeUser(t.ctx);
    await addMember(t.ctx, org, manager, await makeRole(t.ctx, org, ['tokens.manage'], 'managers'));
    const { token } = json(await impersonate(org.id, member.user.id, admin.headers));
    const headers = await signIn(t.app, manager);
    const list = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens?owner=all`, headers });
    expect(json(list).data).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens/${token.id}`, headers })).statusCode).toBe(404);
  });

  it('cannot mint or rotate tokens with an impersonation token', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const response = await impersonate(org.id, member.user.id, admin.headers, {
      ...NEW_TOKEN,
      scopes: ['keyward:tokens:write', 'keyward:tokens:read', 'devices:read'],
    });
    const { token, secret } = json(response);
    const created = await createToken(t, bearer(secret), org.id);
    expect(created.statusCode).toBe(403);
    expect(json(created).code).toBe('forbidden');
    const own = await makeToken(t.ctx, org, member.user);
    expect((await tokenAction(t, bearer(secret), org.id, own.id, 'rotate', { grace_period_seconds: 0 })).statusCode).toBe(403);
    const self = await t.app.inject({ method: 'POST', url: '/api/v1/tokens/self/rotate', headers: bearer(secret), payload: {} });
    expect(self.statusCode).toBe(403);
    expect((await me(t, secret)).statusCode).toBe(200);
    expect(token.id).toMatch(/^tok_/);
  });

  it('puts the admin in the act claim of a JWT impersonation token', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const { token, secret } = json(await impersonate(org.id, member.user.id, admin.headers, { ...NEW_TOKEN, kind: 'jwt' }));
    expect(decodeJwt(secret)).toMatchObject({ sub: member.user.id, act: { sub: admin.user.id }, jti: token.id });
    expect((await me(t, secret)).statusCode).toBe(200);
  });

  it('answers 400 for owner_id or unknown fields in the body', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const response = await impersonate(org.id, member.user.id, admin.headers, { ...NEW_TOKEN, owner_id: admin.user.id });
    expect(response.statusCode).toBe(400);
    expect(json(response).code).toBe('validation_failed');
  });

  it('answers 401 with a bare challenge without credentials', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const response = await impersonate(org.id, member.user.id, {});
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward"');
  });

  it('answers 403 without tokens.impersonate', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const response = await impersonate(org.id, admin.user.id, member.headers);
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('forbidden');
  });

  it('answers 404 for a user who is not a member of the org, or a service account', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const outsider = await makeUser(t.ctx);
    const other = await makeOrg(t.ctx);
    await addMember(t.ctx, other, outsider);
    const bot = await makeServiceAccount(t.ctx, org);
    for (const id of [outsider.id, bot.id, 'usr_nope']) {
      const response = await impersonate(org.id, id, admin.headers);
      expect(response.statusCode, id).toBe(404);
    }
  });

  it("answers 404 for another org's member", async () => {
    const { admin } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    expect((await impersonate(other.org.id, other.member.user.id, admin.headers)).statusCode).toBe(404);
  });

  it('refuses a deactivated member with 422', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    await setUserStatus(t.ctx.db, member.user.id, 'deactivated', t.clock.ms);
    const response = await impersonate(org.id, member.user.id, admin.headers);
    expect(response.statusCode).toBe(422);
  });

  it('follows the org policy: feature_not_enabled on plan free, scope_not_allowed for gated scopes', async () => {
    const free = await seedOrg(t.app, t.ctx, { plan: 'free' });
    const refused = await impersonate(free.org.id, free.member.user.id, free.admin.headers);
    expect(json(refused).code).toBe('feature_not_enabled');
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const gated = await impersonate(org.id, member.user.id, admin.headers, { ...NEW_TOKEN, scopes: ['insights:read'] });
    expect(gated.statusCode).toBe(422);
    expect(json(gated).code).toBe('scope_not_allowed');
  });

  it('refuses to impersonate a member who outranks the caller, or a site admin unless the caller is one, with 403', async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx);
    const root = await makeUser(t.ctx, { siteAdmin: true });
    await addMember(t.ctx, org, root, 'member');
    for (const target of [owner.user, root]) {
      const response = await impersonate(org.id, target.id, admin.headers);
      expect(response.statusCode, target.id).toBe(403);
      expect(json(response).code).toBe('forbidden');
    }
    const otherRoot = await makeUser(t.ctx, { siteAdmin: true });
    expect((await impersonate(org.id, root.id, await signIn(t.app, otherRoot))).statusCode).toBe(201);
    expect((await auditRows(t)).filter((e) => e.action === 'token.created')).toHaveLength(1);
  });
});

describe('the power of an impersonation token', () => {
  const ALL_KEYWARD = ['keyward:admin', 'keyward:tokens:read', 'keyward:tokens:write', 'keyward:audit:read', 'devices:read'];

  it("is the owner's ∩ its creator's: an admin's token for the owner cannot change the policy or make the admin owner", async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, owner.user, { impersonatedBy: admin.user, scopes: ALL_KEYWARD });
    const headers = bearer(secret);
    const policy = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers, payload: { token_policy: { self_service: false } } });
    expect(policy.statusCode).toBe(403);
    const promote = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/orgs/${org.id}/members/${admin.user.id}`,
      headers,
      payload: { role: 'owner' },
    });
    expect(promote.statusCode).toBe(403);
    const whoami = json(await me(t, secret));
    expect(whoami.orgs[0].permissions).not.toContain('org.manage');
    expect(whoami.orgs[0].permissions).toContain('members.manage');
    const members = json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/members`, headers: owner.headers }));
    expect(members.data.find((m: { user: { id: string } }) => m.user.id === admin.user.id).role).toBe('admin');
  });

  it('drops the management scopes its creator cannot back from the verified scopes', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const impersonator = await makeUser(t.ctx);
    await addMember(t.ctx, org, impersonator, await makeRole(t.ctx, org, ['tokens.impersonate'], 'impersonators'));
    const { secret } = await makeToken(t.ctx, org, admin.user, { impersonatedBy: impersonator, scopes: ['keyward:admin', 'keyward:tokens:read', 'devices:read'] });
    const verifier = await makeVerifier(t.ctx);
    const answer = await t.app.inject({
      method: 'POST',
      url: '/api/v1/verify',
      headers: bearer(verifier.secret),
      payload: { token: secret },
    });
    expect(json(answer)).toMatchObject({ valid: true, token: { scopes: ['keyward:tokens:read', 'devices:read'] } });
    const roles = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/roles`, headers: bearer(secret) });
    expect(roles.statusCode).toBe(403);
  });

  it("never lends its owner's site-admin powers", async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const root = await makeUser(t.ctx, { siteAdmin: true });
    await addMember(t.ctx, org, root, 'admin');
    const { secret } = await makeToken(t.ctx, org, root, { impersonatedBy: admin.user, scopes: ALL_KEYWARD });
    const headers = bearer(secret);
    const verifier = await t.app.inject({ method: 'POST', url: '/api/v1/verifiers', headers, payload: { name: 'sneaky' } });
    expect(verifier.statusCode).toBe(403);
    const plan = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers, payload: { plan: 'classroom_pro' } });
    expect(plan.statusCode).toBe(403);
    // Acting as the org admin it is, not as a site admin with every permission in the org.
    const rename = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers, payload: { name: 'Renamed' } });
    expect(rename.statusCode).toBe(403);
    const whoami = json(await me(t, secret));
    expect(whoami.user.site_admin).toBe(false);
    expect(whoami.orgs[0].permissions).not.toContain('org.manage');
    expect(whoami.orgs[0].permissions).toContain('members.manage');
  });

  it('stops working at once when its creator is demoted, removed or deactivated, also when cached', async () => {
    const { org, owner, member, admin } = await seedOrg(t.app, t.ctx);
    const root = await makeUser(t.ctx, { siteAdmin: true });
    const rootHeaders = await signIn(t.app, root);
    const admins = [admin.user, await makeUser(t.ctx), await makeUser(t.ctx)];
    for (const user of admins.slice(1)) await addMember(t.ctx, org, user, 'admin');
    const secrets = await Promise.all(admins.map(async (user) => (await makeToken(t.ctx, org, member.user, { impersonatedBy: user })).secret));
    const verifier = await makeVerifier(t.ctx);
    const verify = async (token: string) =>
      json(await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: bearer(verifier.secret), payload: { token } })).code;
    for (const secret of secrets) expect(await verify(secret)).toBe('VALID');
    const members = `/api/v1/orgs/${org.id}/members`;
    await t.app.inject({ method: 'PATCH', url: `${members}/${admins[0]!.id}`, headers: owner.headers, payload: { role: 'member' } });
    await t.app.inject({ method: 'DELETE', url: `${members}/${admins[1]!.id}`, headers: owner.headers });
    await t.app.inject({ method: 'POST', url: `/api/v1/users/${admins[2]!.id}/deactivate`, headers: rootHeaders });
    for (const secret of secrets) {
      expect(await verify(secret)).toBe('DISABLED');
      const response = await me(t, secret);
      expect(response.statusCode).toBe(401);
      expect(json(response).code).toBe('invalid_token');
    }
  });
});
