import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findUserById } from '../../../src/store/users.js';
import { makeOrg, makeToken, seedOrg } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const accountsUrl = (orgId: string, id?: string) => `/api/v1/orgs/${orgId}/service-accounts${id ? `/${id}` : ''}`;

describe('POST /api/v1/orgs/{org}/service-accounts', () => {
  it('creates a service account that is a member of the org, audited', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({ method: 'POST', url: accountsUrl(org.id), headers: admin.headers, payload: { name: 'CI deploy', description: 'GitHub Actions' } });
    expect(response.statusCode).toBe(201);
    const account = json(response);
    expect(account).toEqual({
      id: expect.stringMatching(/^svc_/),
      org_id: org.id,
      name: 'CI deploy',
      description: 'GitHub Actions',
      status: 'active',
      created_at: new Date(t.clock.now()).toISOString(),
      created_by: { id: admin.user.id },
    });
    const row = await findUserById(t.ctx.db, account.id);
    expect(row).toMatchObject({ type: 'service_account', email: null, passwordHash: null, orgId: org.id });
    const members = json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/members`, headers: admin.headers }));
    expect(members.data).toContainEqual(expect.objectContaining({ role: 'member', user: expect.objectContaining({ id: account.id, type: 'service_account', email: null }) }));
    const events = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'service_account.created').execute();
    expect(events).toMatchObject([{ org_id: org.id, actor_id: admin.user.id, target_id: account.id }]);
  });

  it('rejects a bad body with 400', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    for (const payload of [{}, { name: '' }, { name: 'x', email: 'a@b.c' }]) {
      expect((await t.app.inject({ method: 'POST', url: accountsUrl(org.id), headers: admin.headers, payload })).statusCode).toBe(400);
    }
  });

  it('needs tokens.manage: 403 to a member, 404 for another org, 401 without credentials', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    const payload = { name: 'bot' };
    expect((await t.app.inject({ method: 'POST', url: accountsUrl(org.id), headers: member.headers, payload })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: accountsUrl(other.id), headers: admin.headers, payload })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: accountsUrl(org.id), payload })).statusCode).toBe(401);
  });
});

describe('GET /api/v1/orgs/{org}/service-accounts', () => {
  it("lists the org's service accounts, newest first, a page at a time", async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    await t.app.inject({ method: 'POST', url: accountsUrl(other.org.id), headers: other.admin.headers, payload: { name: 'elsewhere' } });
    for (const name of ['one', 'two', 'three']) {
      await t.app.inject({ method: 'POST', url: accountsUrl(org.id), headers: admin.headers, payload: { name } });
      t.clock.advance(1);
    }
    const first = json(await t.app.inject({ method: 'GET', url: `${accountsUrl(org.id)}?limit=2`, headers: admin.headers }));
    expect(first.data.map((a: { name: string }) => a.name)).toEqual(['three', 'two']);
    const second = json(await t.app.inject({ method: 'GET', url: `${accountsUrl(org.id)}?limit=2&cursor=${first.next_cursor}`, headers: admin.headers }));
    expect(second.data.map((a: { name: string }) => a.name)).toEqual(['one']);
    expect(second.next_cursor).toBeNull();
  });

  it('answers 403 to a member, 404 for another org, 401 without credentials, 400 for a bad limit', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    expect((await t.app.inject({ method: 'GET', url: accountsUrl(org.id), headers: member.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: accountsUrl(other.id), headers: admin.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: accountsUrl(org.id) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: `${accountsUrl(org.id)}?limit=x`, headers: admin.headers })).statusCode).toBe(400);
  });
});

describe('DELETE /api/v1/orgs/{org}/service-accounts/{id}', () => {
  it('deactivates the account and disables its tokens at once', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const account = json(await t.app.inject({ method: 'POST', url: accountsUrl(org.id), headers: admin.headers, payload: { name: 'bot' } }));
    const row = (await findUserById(t.ctx.db, account.id))!;
    const { secret, id } = await makeToken(t.ctx, org, row);
    const bearer = { authorization: `Bearer ${secret}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer })).statusCode).toBe(200);

    expect((await t.app.inject({ method: 'DELETE', url: accountsUrl(org.id, account.id), headers: admin.headers })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer })).statusCode).toBe(401);
    const token = await t.ctx.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(token.disabled_reason).toBe('owner_deactivated');
    const list = json(await t.app.inject({ method: 'GET', url: accountsUrl(org.id), headers: admin.headers }));
    expect(list.data).toMatchObject([{ id: account.id, status: 'deactivated' }]);
    expect((await t.app.inject({ method: 'DELETE', url: accountsUrl(org.id, account.id), headers: admin.headers })).statusCode).toBe(204);
  });

  it('cannot be done through member removal (409)', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const account = json(await t.app.inject({ method: 'POST', url: accountsUrl(org.id), headers: admin.headers, payload: { name: 'bot' } }));
    const response = await t.app.inject({ method: 'DELETE', url: `/api/v1/orgs/${org.id}/members/${account.id}`, headers: admin.headers });
    expect(response.statusCode).toBe(409);
  });

  it("answers 404 for another org's account or a person, 403 to a member, 401 without credentials", async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const foreign = json(await t.app.inject({ method: 'POST', url: accountsUrl(other.org.id), headers: other.admin.headers, payload: { name: 'bot' } }));
    const mine = json(await t.app.inject({ method: 'POST', url: accountsUrl(org.id), headers: admin.headers, payload: { name: 'bot' } }));
    expect((await t.app.inject({ method: 'DELETE', url: accountsUrl(org.id, foreign.id), headers: admin.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: accountsUrl(org.id, member.user.id), headers: admin.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: accountsUrl(org.id, mine.id), headers: member.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: accountsUrl(org.id, mine.id) })).statusCode).toBe(401);
  });
});
