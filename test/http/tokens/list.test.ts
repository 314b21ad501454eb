import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeRole, makeToken, makeUser, seedOrg, signIn } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { bearer, createdToken, me, NEW_TOKEN, tokenAction } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

function list(orgId: string, headers: Record<string, string>, query = '') {
  return t.app.inject({ method: 'GET', url: `/api/v1/orgs/${orgId}/tokens${query}`, headers });
}

const ids = (response: { body: string }) => (JSON.parse(response.body) as { data: { id: string }[] }).data.map((d) => d.id);

describe('GET /api/v1/orgs/{org}/tokens', () => {
  it("lists the caller's own tokens by default, newest first", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const first = await createdToken(t, member.headers, org.id);
    t.clock.advance(1000);
    const second = await createdToken(t, member.headers, org.id);
    await createdToken(t, admin.headers, org.id);
    const response = await list(org.id, member.headers);
    expect(response.statusCode).toBe(200);
    expect(ids(response)).toEqual([second.id, first.id]);
    expect(json(response).next_cursor).toBeNull();
    expect(json(response).data[0]).toMatchObject({ owner: { type: 'user', id: member.user.id }, status: 'active' });
  });

  it('lists every token with owner=all or one owner by id for holders of tokens.manage', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const mine = await createdToken(t, member.headers, org.id);
    const theirs = await createdToken(t, admin.headers, org.id);
    expect(ids(await list(org.id, admin.headers, '?owner=all')).sort()).toEqual([mine.id, theirs.id].sort());
    expect(ids(await list(org.id, admin.headers, `?owner=${member.user.id}`))).toEqual([mine.id]);
    expect(ids(await list(org.id, member.headers, `?owner=${member.user.id}`))).toEqual([mine.id]);
  });

  it("answers 403 to a member asking for other members' tokens", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    for (const owner of ['all', admin.user.id]) {
      const response = await list(org.id, member.headers, `?owner=${owner}`);
      expect(response.statusCode).toBe(403);
      expect(json(response).code).toBe('forbidden');
    }
  });

  it('shows a tokens.impersonate-only role the impersonation tokens, not the others', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const impersonator = await makeUser(t.ctx);
    await addMember(t.ctx, org, impersonator, await makeRole(t.ctx, org, ['tokens.impersonate'], 'support'));
    await createdToken(t, member.headers, org.id);
    const impersonation = await makeToken(t.ctx, org, member.user, { impersonatedBy: admin.user });
    expect(ids(await list(org.id, await signIn(t.app, impersonator), '?owner=all'))).toEqual([impersonation.id]);
  });

  it('filters by status, kind, name and expiring soon', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const soon = await createdToken(t, member.headers, org.id, { ...NEW_TOKEN, name: 'Deploy soon' });
    const later = await createdToken(t, member.headers, org.id, { ...NEW_TOKEN, name: 'backup', expires_in_days: 90, kind: 'jwt' });
    const revoked = await createdToken(t, member.headers, org.id, { ...NEW_TOKEN, name: 'old deploy' });
    const disabled = await createdToken(t, member.headers, org.id, { ...NEW_TOKEN, name: 'paused', expires_in_days: 90 });
    expect((await tokenAction(t, member.headers, org.id, revoked.id, 'revoke')).statusCode).toBe(200);
    expect((await tokenAction(t, member.headers, org.id, disabled.id, 'disable')).statusCode).toBe(200);
    t.clock.advanceDays(20);
    const headers = await signIn(t.app, member.user); // sessions last hours, not days
    expect(ids(await list(org.id, headers, '?status=active')).sort()).toEqual([soon.id, later.id].sort());
    expect(ids(await list(org.id, headers, '?status=revoked'))).toEqual([revoked.id]);
    expect(ids(await list(org.id, headers, '?status=disabled'))).toEqual([disabled.id]);
    expect(ids(await list(org.id, headers, '?kind=jwt'))).toEqual([later.id]);
    expect(ids(await list(org.id, headers, '?q=DEPLOY')).sort()).toEqual([soon.id, revoked.id].sort());
    const expiring = await list(org.id, headers, '?expiring=true');
    expect(ids(expiring)).toEqual([soon.id]);
    expect(json(expiring).data[0].expiring_soon).toBe(true);
    t.clock.advanceDays(11);
    expect(ids(await list(org.id, await signIn(t.app, member.user), '?status=expired'))).toEqual([soon.id]);
  });

  it('pages with next_cursor', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const created: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      created.unshift((await createdToken(t, member.headers, org.id)).id);
      t.clock.advance(1000);
    }
    const first = await list(org.id, member.headers, '?limit=2');
    expect(ids(first)).toEqual(created.slice(0, 2));
    const second = await list(org.id, member.headers, `?limit=2&cursor=${json(first).next_cursor}`);
    expect(ids(second)).toEqual(created.slice(2, 4));
    const third = await list(org.id, member.headers, `?limit=2&cursor=${json(second).next_cursor}`);
    expect(ids(third)).toEqual(created.slice(4));
    expect(json(third).next_cursor).toBeNull();
  });

  it('stops listing expired and revoked tokens 90 days after they ended', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const expiring = await createdToken(t, member.headers, org.id);
    const revoked = await createdToken(t, member.headers, org.id, { ...NEW_TOKEN, expires_in_days: 365 });
    await tokenAction(t, member.headers, org.id, revoked.id, 'revoke');
    t.clock.advanceDays(89);
    expect(ids(await list(org.id, await signIn(t.app, member.user))).sort()).toEqual([expiring.id, revoked.id].sort());
    t.clock.advanceDays(2);
    expect(ids(await list(org.id, await signIn(t.app, member.user)))).toEqual([expiring.id]);
    t.clock.advanceDays(30);
    expect(ids(await list(org.id, await signIn(t.app, member.user)))).toEqual([]);
  });

  it('shows the last use from the usage buffer before it is flushed', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { secret, id } = await createdToken(t, member.headers, org.id);
    t.clock.advance(5000);
    expect((await me(t, secret)).statusCode).toBe(200);
    const [view] = json(await list(org.id, member.headers)).data;
    expect(view.id).toBe(id);
    expect(view.last_used_at).toBe(new Date(t.clock.ms).toISOString());
    expect(view.last_used_ip).toBe('127.0.0.1');
  });

  it('answers 400 for an unknown status', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const response = await list(org.id, member.headers, '?status=gone');
    expect(response.statusCode).toBe(400);
    expect(json(response).code).toBe('validation_failed');
  });

  it('answers 401 with a bare challenge without credentials', async () => {
    const { org } = await seedOrg(t.app, t.ctx);
    const response = await list(org.id, {});
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward"');
  });

  it('answers 403 insufficient_scope to a token without keyward:tokens:read', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, member.user, { scopes: ['devices:read'] });
    const response = await list(org.id, bearer(secret));
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toContain('scope="keyward:tokens:read"');
    const { secret: reader } = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:tokens:read'] });
    expect((await list(org.id, bearer(reader))).statusCode).toBe(200);
  });

  it("answers 404 for another org's token list", async () => {
    const { member } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const response = await list(other.org.id, member.headers, '?owner=all');
    expect(response.statusCode).toBe(404);
    expect(json(response).code).toBe('not_found');
  });
});
