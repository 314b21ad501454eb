import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeOrg, makeSignedInUser, makeToken, makeUser, seedOrg, signIn } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const siteAdmin = () => makeSignedInUser(t.app, t.ctx, { siteAdmin: true });

async function auditEvents(action: string) {
  return t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', action).execute();
}

describe('GET /api/v1/orgs', () => {
  it('lists only the orgs I belong to', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    await makeOrg(t.ctx);
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/orgs', headers: member.headers });
    expect(response.statusCode).toBe(200);
    expect(json(response).data.map((o: { id: string }) => o.id)).toEqual([org.id]);
    expect(json(response).data[0]).toMatchObject({ slug: org.slug, plan: 'enterprise', tokens_enabled: true, token_policy: { max_lifetime_days: 365 } });
  });

  it('shows a site admin every org, a page at a time', async () => {
    const admin = await siteAdmin();
    const ids = [];
    for (let i = 0; i < 3; i += 1) {
      ids.push((await makeOrg(t.ctx)).id);
      t.clock.advance(1);
    }
    const first = json(await t.app.inject({ method: 'GET', url: '/api/v1/orgs?limit=2', headers: admin.headers }));
    expect(first.data.map((o: { id: string }) => o.id)).toEqual(ids.slice(0, 2));
    expect(first.next_cursor).toBe(ids[1]);
    const second = json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs?limit=2&cursor=${first.next_cursor}`, headers: admin.headers }));
    expect(second.data.map((o: { id: string }) => o.id)).toEqual(ids.slice(2));
    expect(second.next_cursor).toBeNull();
  });

  it('shows a token only its own org', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    await addMember(t.ctx, other, member.user);
    // A keyward scope: a product-only token reads no management data (test/security/product-token-reads.test.ts).
    const { secret } = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:tokens:read'] });
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/orgs', headers: { authorization: `Bearer ${secret}` } });
    expect(json(response).data.map((o: { id: string }) => o.id)).toEqual([org.id]);
  });

  it('answers 401 without credentials and 400 for a bad limit', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/orgs' })).statusCode).toBe(401);
    const { member } = await seedOrg(t.app, t.ctx);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/orgs?limit=0', headers: member.headers })).statusCode).toBe(400);
  });
});

describe('POST /api/v1/orgs', () => {
  it('lets a site admin create an org with its first owner', async () => {
    const admin = await siteAdmin();
    const owner = await makeUser(t.ctx);
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orgs',
      headers: admin.headers,
      payload: { name: ' Device Lab ', slug: 'device-lab', plan: 'enterprise', features: ['insights_api'], owner_email: owner.email!.toUpperCase() },
    });
    expect(response.statusCode).toBe(201);
    const org = json(response);
    expect(org).toMatchObject({ name: 'Device Lab', slug: 'device-lab', plan: 'enterprise', features: ['insights_api'], tokens_enabled: true });
    expect(org.id).toMatch(/^org_/);
    expect(org.token_policy).toEqual({
      expiration_presets_days: [30, 90, 180, 365],
      allow_custom_expiration: true,
      max_lifetime_days: 365,
      expiration_required: true,
      max_tokens_per_user: 10,
      self_service: true,
      warning_window_days: 14,
      allowed_kinds: ['api_key', 'jwt'],
      accept_x_api_key: true,
      default_rate_limits: [],
    });
    const me = json(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: await signIn(t.app, owner) }));
    expect(me.orgs).toMatchObject([{ id: org.id, role: 'owner' }]);
    const [created] = await auditEvents('org.created');
    expect(created).toMatchObject({ org_id: org.id, actor_id: admin.user.id });
    expect(await auditEvents('member.added')).toHaveLength(1);
  });

  it('says when a plan has no tokens', async () => {
    const admin = await siteAdmin();
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: admin.headers, payload: { name: 'Free', slug: 'free-org', plan: 'free' } });
    expect(json(response).tokens_enabled).toBe(false);
  });

  it('refuses a taken slug with 409', async () => {
    const admin = await siteAdmin();
    const payload = { name: 'A', slug: 'taken', plan: 'enterprise' };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: admin.headers, payload })).statusCode).toBe(201);
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: admin.headers, payload });
    expect(again.statusCode).toBe(409);
    expect(json(again).code).toBe('conflict');
  });

  it('refuses an owner_email that names no user with 422, creating nothing', async () => {
    const admin = await siteAdmin();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orgs',
      headers: admin.headers,
      payload: { name: 'A', slug: 'a', plan: 'enterprise', owner_email: 'nobody@example.test' },
    });
    expect(response.statusCode).toBe(422);
    expect(json(response)).toMatchObject({ code: 'unknown_user', field: 'owner_email' });
    expect(await t.ctx.db.selectFrom('orgs').selectAll().execute()).toHaveLength(0);
  });

  it('rejects a bad slug or an unknown field with 400', async () => {
    const admin = await siteAdmin();
    for (const payload of [
      { name: 'A', slug: 'Not A Slug', plan: 'enterprise' },
      { name: 'A', slug: 'ok', plan: 'enterprise', extra: 1 },
      { name: 'A', slug: 'ok' },
    ]) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: admin.headers, payload });
      expect(response.statusCode).toBe(400);
      expect(json(response).code).toBe('validation_failed');
    }
  });

  it('is for site admins only: an owner gets 403, nobody 401', async () => {
    const { owner } = await seedOrg(t.app, t.ctx);
    const payload = { name: 'A', slug: 'a', plan: 'enterprise' };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: owner.headers, payload })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/orgs', payload })).statusCode).toBe(401);
  });
});

describe('GET /api/v1/orgs/{org}', () => {
  it('shows any member the org', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { plan: 'free' });
    const response = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}`, headers: member.headers });
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ id: org.id, plan: 'free', tokens_enabled: false });
  });

  it("answers 404 for another org and 401 without credentials", async () => {
    const { member } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    const response = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${other.id}`, headers: member.headers });
    expect(response.statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${other.id}` })).statusCode).toBe(401);
  });

  it('lets a site admin see any org', async () => {
    const org = await makeOrg(t.ctx);
    const admin = await siteAdmin();
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}`, headers: admin.headers })).statusCode).toBe(200);
  });
});

describe('PATCH /api/v1/orgs/{org}', () => {
  it('lets an owner rename the org, audited with before and after', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx, { name: 'Old' });
    t.clock.advance(1000);
    const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: owner.headers, payload: { name: 'New' } });
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ name: 'New', updated_at: new Date(t.clock.now()).toISOString() });
    const [event] = await auditEvents('org.updated');
    expect(JSON.parse(event!.details)).toEqual({ before: { name: 'Old' }, after: { name: 'New' } });
    expect(event).toMatchObject({ org_id: org.id, actor_id: owner.user.id });
  });

  it('merges a token policy change, audited as org.policy_changed', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/orgs/${org.id}`,
      headers: owner.headers,
      payload: { token_policy: { max_lifetime_days: 90, expiration_presets_days: [90, 30], self_service: false } },
    });
    expect(response.statusCode).toBe(200);
    expect(json(response).token_policy).toMatchObject({ max_lifetime_days: 90, expiration_presets_days: [30, 90], self_service: false, warning_window_days: 14 });
    const [event] = await auditEvents('org.policy_changed');
    expect(JSON.parse(event!.details)).toEqual({
      before: { max_lifetime_days: 365, expiration_presets_days: [30, 90, 180, 365], self_service: true },
      after: { max_lifetime_days: 90, expiration_presets_days: [30, 90], self_service: false },
    });
  });

  it('refuses a policy beyond the deployment bounds with 422', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: owner.headers, payload: { token_policy: { max_lifetime_days: 400 } } });
    expect(response.statusCode).toBe(422);
    expect(json(response).code).toBe('expiration_too_long');
    const noExpiry = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: owner.headers, payload: { token_policy: { expiration_required: false } } });
    expect(json(noExpiry).code).toBe('expiration_required');
  });

  it('rejects unknown policy fields and bad values with 400', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    for (const payload of [{ token_policy: { nope: true } }, { token_policy: { allowed_kinds: ['password'] } }, { name: '' }, { slug: 'x' }]) {
      const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: owner.headers, payload });
      expect(response.statusCode).toBe(400);
    }
  });

  it('needs org.manage: an admin gets 403', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    for (const payload of [{ name: 'New' }, { token_policy: { self_service: false } }]) {
      const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: admin.headers, payload });
      expect(response.statusCode).toBe(403);
    }
  });

  it('keeps plan and features for site admins: an owner gets 403', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    for (const payload of [{ plan: 'free' }, { features: ['insights_api'] }]) {
      const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: owner.headers, payload });
      expect(response.statusCode).toBe(403);
    }
  });

  it('lets a site admin set plan and features; the scope catalog follows', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const admin = await siteAdmin();
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/orgs/${org.id}`,
      headers: admin.headers,
      payload: { plan: 'classroom_pro', features: ['insights_api'] },
    });
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ plan: 'classroom_pro', features: ['insights_api'] });
    const [event] = await auditEvents('org.updated');
    expect(event!.actor_id).toBe(admin.user.id);
    const scopes = json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/scopes`, headers: member.headers }));
    expect(scopes.data.map((s: { name: string }) => s.name)).toContain('insights:read');
  });

  it('takes effect on cached tokens at once (X-API-Key turned off)', async () => {
    const { org, owner, member } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, member.user);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': secret } })).statusCode).toBe(200);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: owner.headers, payload: { token_policy: { accept_x_api_key: false } } });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': secret } })).statusCode).toBe(401);
  });

  it('answers 404 for another org', async () => {
    const { owner } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${other.id}`, headers: owner.headers, payload: { name: 'Mine' } });
    expect(response.statusCode).toBe(404);
  });

  it('answers 401 without credentials', async () => {
    const org = await makeOrg(t.ctx);
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, payload: { name: 'x' } })).statusCode).toBe(401);
  });

  it('does not audit a change that changes nothing', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx, { name: 'Same' });
    const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: owner.headers, payload: { name: 'Same', token_policy: { self_service: true } } });
    expect(response.statusCode).toBe(200);
    expect(await auditEvents('org.updated')).toHaveLength(0);
    expect(await auditEvents('org.policy_changed')).toHaveLength(0);
  });
});
