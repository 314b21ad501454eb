import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeOrg, makeSignedInUser, makeToken, makeUser, PASSWORD, seedOrg, signIn } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const siteAdmin = () => makeSignedInUser(t.app, t.ctx, { siteAdmin: true });

async function auditEvents(action: string) {
  return t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('id').execute();
}

describe('POST /api/v1/users', () => {
  it('lets a site admin create a user who can then sign in', async () => {
    const admin = await siteAdmin();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: admin.headers,
      payload: { email: 'Ada@Example.test', name: 'Ada', password: PASSWORD },
    });
    expect(response.statusCode).toBe(201);
    expect(json(response)).toMatchObject({ email: 'ada@example.test', name: 'Ada', site_admin: false, status: 'active', type: 'user' });
    const signedIn = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: 'ada@example.test', password: PASSWORD } });
    expect(signedIn.statusCode).toBe(200);
    const [event] = await auditEvents('user.created');
    expect(event).toMatchObject({ actor_id: admin.user.id, org_id: null });
    expect(event!.details).not.toContain(PASSWORD);
  });

  it('refuses a taken email with 409', async () => {
    const admin = await siteAdmin();
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: admin.headers, payload: { email: admin.user.email, name: 'Twin', password: PASSWORD } });
    expect(response.statusCode).toBe(409);
  });

  it('rejects a bad email, a weak password or extra fields with 400', async () => {
    const admin = await siteAdmin();
    for (const payload of [
      { email: 'not an email', name: 'x', password: PASSWORD },
      { email: 'a@b.test', name: 'x', password: 'short' },
      { email: 'a@b.test', name: 'x', password: PASSWORD, role: 'admin' },
    ]) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: admin.headers, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
  });

  it('is for site admins only: 403 to an org owner, 401 without credentials', async () => {
    const { owner } = await seedOrg(t.app, t.ctx);
    const payload = { email: 'a@b.test', name: 'x', password: PASSWORD };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: owner.headers, payload })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/users', payload })).statusCode).toBe(401);
  });
});

describe('GET /api/v1/users', () => {
  it('lists people newest first, a page at a time, without service accounts', async () => {
    const admin = await siteAdmin();
    t.clock.advance(1);
    const older = await makeUser(t.ctx);
    t.clock.advance(1);
    const newer = await makeUser(t.ctx);
    const org = await makeOrg(t.ctx);
    await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/service-accounts`, headers: admin.headers, payload: { name: 'bot' } });
    const first = json(await t.app.inject({ method: 'GET', url: '/api/v1/users?limit=2', headers: admin.headers }));
    expect(first.data.map((u: { id: string }) => u.id)).toEqual([newer.id, older.id]);
    const second = json(await t.app.inject({ method: 'GET', url: `/api/v1/users?limit=2&cursor=${first.next_cursor}`, headers: admin.headers }));
    expect(second.data.map((u: { id: string }) => u.id)).toEqual([admin.user.id]);
    expect(second.next_cursor).toBeNull();
  });

  it('answers 403 to others, 401 without credentials, 400 for a bad limit', async () => {
    const { owner } = await seedOrg(t.app, t.ctx);
    const admin = await siteAdmin();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: owner.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users?limit=500', headers: admin.headers })).statusCode).toBe(400);
  });
});

describe('POST /api/v1/users/{user}/deactivate', () => {
  it("disables the user's tokens in every org, ends their sessions, and audits each org", async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    await addMember(t.ctx, other, member.user, 'admin');
    const here = await makeToken(t.ctx, org, member.user);
    const there = await makeToken(t.ctx, other, member.user);
    const bearer = { authorization: `Bearer ${here.secret}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer })).statusCode).toBe(200);
    const admin = await siteAdmin();

    const response = await t.app.inject({ method: 'POST', url: `/api/v1/users/${member.user.id}/deactivate`, headers: admin.headers });
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ id: member.user.id, status: 'deactivated' });

    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${there.secret}` } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: member.headers })).statusCode).toBe(401);
    const tokens = await t.ctx.db.selectFrom('tokens').select(['disabled_reason']).where('owner_id', '=', member.user.id).execute();
    expect(tokens).toEqual([{ disabled_reason: 'owner_deactivated' }, { disabled_reason: 'owner_deactivated' }]);
    expect(await t.ctx.db.selectFrom('sessions').selectAll().where('user_id', '=', member.user.id).execute()).toHaveLength(0);
    const events = await auditEvents('user.deactivated');
    expect(events.map((e) => e.org_id).sort()).toEqual([org.id, other.id, null].sort());
    expect(events.every((e) => e.actor_id === admin.user.id && e.target_id === member.user.id)).toBe(true);
  });

  it('does not re-enable the tokens on reactivation', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, member.user);
    const admin = await siteAdmin();
    await t.app.inject({ method: 'POST', url: `/api/v1/users/${member.user.id}/deactivate`, headers: admin.headers });
    const response = await t.app.inject({ method: 'POST', url: `/api/v1/users/${member.user.id}/reactivate`, headers: admin.headers });
    expect(response.statusCode).toBe(200);
    expect(json(response).status).toBe('active');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: await signIn(t.app, member.user) })).statusCode).toBe(200);
    const events = await auditEvents('user.reactivated');
    expect(events.map((e) => e.org_id).sort()).toEqual([org.id, null].sort());
  });

  it('refuses to deactivate yourself (409)', async () => {
    const admin = await siteAdmin();
    const response = await t.app.inject({ method: 'POST', url: `/api/v1/users/${admin.user.id}/deactivate`, headers: admin.headers });
    expect(response.statusCode).toBe(409);
  });

  it('answers 404 for an unknown user or a service account, 400 for a bad id', async () => {
    const { org, admin: orgAdmin } = await seedOrg(t.app, t.ctx);
    const account = json(await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/service-accounts`, headers: orgAdmin.headers, payload: { name: 'bot' } }));
    const admin = await siteAdmin();
    for (const id of ['usr_0000000000000000000000', account.id]) {
      expect((await t.app.inject({ method: 'POST', url: `/api/v1/users/${id}/deactivate`, headers: admin.headers })).statusCode).toBe(404);
    }
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/users/${'u'.repeat(65)}/deactivate`, headers: admin.headers })).statusCode).toBe(400);
  });

  it('is for site admins only: 403 to an org owner, 401 without credentials', async () => {
    const { owner, member } = await seedOrg(t.app, t.ctx);
    const url = `/api/v1/users/${member.user.id}/deactivate`;
    expect((await t.app.inject({ method: 'POST', url, headers: owner.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url })).statusCode).toBe(401);
  });
});

describe('POST /api/v1/users/{user}/reactivate', () => {
  it('is for site admins only, and 404 for an unknown user', async () => {
    const { owner, member } = await seedOrg(t.app, t.ctx);
    const admin = await siteAdmin();
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/users/${member.user.id}/reactivate`, headers: owner.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/users/${member.user.id}/reactivate` })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/users/usr_0000000000000000000000/reactivate', headers: admin.headers })).statusCode).toBe(404);
  });
});
