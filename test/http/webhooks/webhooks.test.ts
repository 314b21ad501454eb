import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeOrg, makeToken, seedOrg } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { bearer } from '../tokens/helpers.js';
import { createdWebhook, PUBLIC_URL, webhooksUrl } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const post = (orgId: string, headers: Record<string, string>, payload: unknown) => t.app.inject({ method: 'POST', url: webhooksUrl(orgId), headers, payload: payload as object });
const auditOf = (action: string) => t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', action).execute();

describe('POST /api/v1/orgs/{org}/webhooks', () => {
  it('creates an endpoint for every event and returns its whsec_ secret once, with no-store', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const response = await post(org.id, owner.headers, { url: PUBLIC_URL, description: 'SIEM' });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = json(response);
    expect(body).toEqual({
      webhook: {
        id: expect.stringMatching(/^whk_[0-9A-Za-z]{23}$/),
        org_id: org.id,
        url: PUBLIC_URL,
        events: null,
        description: 'SIEM',
        created_at: new Date(t.clock.now()).toISOString(),
      },
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/),
    });
    expect(Buffer.from(body.secret.slice('whsec_'.length), 'base64')).toHaveLength(24);

    // Stored sealed, shown nowhere else: not in the row, the list, the object or the audit log.
    const row = await t.ctx.db.selectFrom('webhooks').selectAll().where('id', '=', body.webhook.id).executeTakeFirstOrThrow();
    const key = body.secret.slice('whsec_'.length);
    expect(JSON.stringify(row)).not.toContain(key);
    expect(row.sealed_secret).toMatch(/^v1\./);
    const list = await t.app.inject({ method: 'GET', url: webhooksUrl(org.id), headers: owner.headers });
    const one = await t.app.inject({ method: 'GET', url: webhooksUrl(org.id, `/${body.webhook.id}`), headers: owner.headers });
    for (const later of [list, one]) {
      expect(later.statusCode).toBe(200);
      expect(later.body).not.toContain(key);
      expect(later.headers['cache-control']).toBeUndefined();
    }
    expect(json(one)).toEqual(body.webhook);
    const [audited] = await auditOf('webhook.created');
    expect(audited).toMatchObject({ org_id: org.id, actor_id: owner.user.id, target_type: 'webhook', target_id: body.webhook.id });
    expect(JSON.parse(audited!.details)).toEqual({ origin: 'https://203.0.113.10', events: null });
    expect(audited!.details).not.toContain(key);
  });

  it('makes a different secret for every endpoint', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const secrets = new Set<string>();
    for (let i = 0; i < 3; i++) secrets.add((await createdWebhook(t, owner.headers, org.id, { url: PUBLIC_URL })).secret);
    expect(secrets.size).toBe(3);
  });

  it('keeps the events subscribed to, in the catalog order', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const response = await post(org.id, owner.headers, { url: PUBLIC_URL, events: ['token.leaked', 'token.revoked'] });
    expect(json(response).webhook.events).toEqual(['token.revoked', 'token.leaked']);
  });

  it('refuses a malformed body with 400', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    for (const payload of [
      {},
      { url: '' },
      { url: 'not a url' },
      { url: PUBLIC_URL, events: [] },
      { url: PUBLIC_URL, events: ['token.renamed'] },
      { url: PUBLIC_URL, events: ['token.revoked', 'token.revoked'] },
      { url: PUBLIC_URL, secret: 'whsec_mine' },
      { url: `${PUBLIC_URL}/${'a'.repeat(2100)}` },
      { url: PUBLIC_URL, description: 'x'.repeat(1001) },
    ]) {
      const response = await post(org.id, owner.headers, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(json(response).code).toBe('validation_failed');
    }
  });

  it.each([
    ['ftp://203.0.113.10/x', 'http or https'],
    ['file:///etc/passwd', 'http or https'],
    ['https://user:secret@203.0.113.10/hook', 'user name or password'],
    ['https://:secret@203.0.113.10/hook', 'user name or password'],
    ['http://127.0.0.1:8080/hook', 'loopback'],
    ['http://localhost/hook', 'loopback'],
    ['http://api.localhost/hook', 'loopback'],
    ['http://2130706433/hook', 'loopback'],
    ['http://[::1]/hook', 'loopback'],
    ['http://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['http://[::ffff:10.1.2.3]/hook', 'private'],
    ['http://10.0.0.5/hook', 'private'],
    ['http://172.16.0.1/hook', 'private'],
    ['http://192.168.1.1/hook', 'private'],
    ['http://169.254.169.254/latest/meta-data', 'link-local'],
    ['http://[fe80::1]/hook', 'link-local'],
    ['http://[fd00::1]/hook', 'unique local'],
    ['http://0.0.0.0/hook', 'unspecified'],
    ['http://[::]/hook', 'unspecified'],
  ])('refuses %s with 422 url_not_allowed', async (url, reason) => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const response = await post(org.id, owner.headers, { url });
    expect(response.statusCode, response.body).toBe(422);
    expect(json(response)).toMatchObject({ code: 'url_not_allowed', field: 'url', detail: expect.stringContaining(reason) });
    expect(await t.ctx.db.selectFrom('webhooks').selectAll().execute()).toEqual([]);
  });

  it('checks the shape (400) before the URL rule (422)', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    expect((await post(org.id, owner.headers, { url: 'http://127.0.0.1/hook', unexpected: true })).statusCode).toBe(400);
  });

  it('needs org.manage: 403 to admins and members, whatever the body; 404 for another org; 401 without credentials', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    for (const headers of [admin.headers, member.headers]) {
      expect((await post(org.id, headers, { url: PUBLIC_URL })).statusCode).toBe(403);
      // Who may not manage webhooks learns nothing of the body's schema.
      const bad = await post(org.id, headers, { nonsense: 1 });
      expect(bad.statusCode).toBe(403);
      expect(json(bad).code).toBe('forbidden');
    }
    expect((await post(org.id, other.owner.headers, { url: PUBLIC_URL })).statusCode).toBe(404);
    expect((await post(org.id, other.owner.headers, { nonsense: 1 })).statusCode).toBe(404);
    expect((await post(org.id, {}, { url: PUBLIC_URL })).statusCode).toBe(401);
    expect((await post(org.id, {}, { nonsense: 1 })).statusCode).toBe(401);
  });

  it('takes a token of an owner only with keyward:admin', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const admin = await makeToken(t.ctx, org, owner.user, { scopes: ['keyward:admin'] });
    const plain = await makeToken(t.ctx, org, owner.user, { scopes: ['keyward:tokens:read', 'keyward:tokens:write'] });
    expect((await post(org.id, bearer(admin.secret), { url: PUBLIC_URL })).statusCode).toBe(201);
    const refused = await post(org.id, bearer(plain.secret), { url: PUBLIC_URL });
    expect(refused.statusCode).toBe(403);
    expect(json(refused).code).toBe('insufficient_scope');
    expect(refused.headers['www-authenticate']).toContain('scope="keyward:admin"');
  });

  it('accepts private and loopback targets where the deployment allows them', async () => {
    await t.close();
    t = await startTestApp({ env: { KEYWARD_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    const { org, owner } = await seedOrg(t.app, t.ctx);
    for (const url of ['http://127.0.0.1:9999/hook', 'http://localhost/hook', 'http://[::ffff:10.0.0.1]/hook', 'http://192.168.1.20/hook']) {
      expect((await post(org.id, owner.headers, { url })).statusCode, url).toBe(201);
    }
    // Still only http(s), still no credentials.
    expect((await post(org.id, owner.headers, { url: 'ftp://10.0.0.1/x' })).statusCode).toBe(422);
    expect((await post(org.id, owner.headers, { url: 'http://a:b@10.0.0.1/x' })).statusCode).toBe(422);
  });
});

describe('GET /api/v1/orgs/{org}/webhooks', () => {
  it("lists the org's endpoints, newest first, a page at a time", async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    await createdWebhook(t, other.owner.headers, other.org.id, { url: PUBLIC_URL });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1000);
      ids.push((await createdWebhook(t, owner.headers, org.id, { url: `${PUBLIC_URL}/${i}` })).id);
    }
    const first = json(await t.app.inject({ method: 'GET', url: `${webhooksUrl(org.id)}?limit=2`, headers: owner.headers }));
    expect(first.data.map((w: { id: string }) => w.id)).toEqual([ids[2], ids[1]]);
    expect(first.next_cursor).toBe(ids[1]);
    const second = json(await t.app.inject({ method: 'GET', url: `${webhooksUrl(org.id)}?limit=2&cursor=${first.next_cursor}`, headers: owner.headers }));
    expect(second).toEqual({ data: [expect.objectContaining({ id: ids[0], url: `${PUBLIC_URL}/0` })], next_cursor: null });
  });

  it('answers 403 to an admin, 404 for another org, 401 without credentials, 400 for a bad limit', async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx);
    const other = await makeOrg(t.ctx);
    expect((await t.app.inject({ method: 'GET', url: webhooksUrl(org.id), headers: admin.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: `${webhooksUrl(org.id)}?limit=0`, headers: admin.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: webhooksUrl(other.id), headers: owner.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: webhooksUrl(org.id) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: `${webhooksUrl(org.id)}?limit=0`, headers: owner.headers })).statusCode).toBe(400);
  });
});

describe('GET /api/v1/orgs/{org}/webhooks/{id}', () => {
  it("answers 404 for another org's endpoint and for an unknown one", async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const theirs = await createdWebhook(t, other.owner.headers, other.org.id, { url: PUBLIC_URL });
    const byOwnOrg = await t.app.inject({ method: 'GET', url: webhooksUrl(org.id, `/${theirs.id}`), headers: owner.headers });
    expect(byOwnOrg.statusCode).toBe(404);
    expect(json(byOwnOrg).code).toBe('not_found');
    expect((await t.app.inject({ method: 'GET', url: webhooksUrl(other.org.id, `/${theirs.id}`), headers: owner.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: webhooksUrl(org.id, '/whk_0000000000000000000000'), headers: owner.headers })).statusCode).toBe(404);
  });
});

describe('DELETE /api/v1/orgs/{org}/webhooks/{id}', () => {
  it('deletes the endpoint with its outbox, audited; it is gone afterwards', async () => {
    const { org, owner, member } = await seedOrg(t.app, t.ctx);
    const { id } = await createdWebhook(t, owner.headers, org.id, { url: PUBLIC_URL });
    const created = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: member.headers, payload: { name: 'ci', scopes: ['devices:read'], expires_in_days: 30 } });
    expect(created.statusCode).toBe(201);
    expect(await t.ctx.db.selectFrom('webhook_jobs').selectAll().where('webhook_id', '=', id).execute()).toHaveLength(1);

    const response = await t.app.inject({ method: 'DELETE', url: webhooksUrl(org.id, `/${id}`), headers: owner.headers });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect((await t.app.inject({ method: 'GET', url: webhooksUrl(org.id, `/${id}`), headers: owner.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: webhooksUrl(org.id, `/${id}`), headers: owner.headers })).statusCode).toBe(404);
    expect(await t.ctx.db.selectFrom('webhook_jobs').selectAll().execute()).toEqual([]);
    expect(await auditOf('webhook.deleted')).toMatchObject([{ org_id: org.id, actor_id: owner.user.id, target_id: id }]);
  });

  it("answers 404 for another org's endpoint, 403 to an admin, 401 without credentials", async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const theirs = await createdWebhook(t, other.owner.headers, other.org.id, { url: PUBLIC_URL });
    const mine = await createdWebhook(t, owner.headers, org.id, { url: PUBLIC_URL });
    expect((await t.app.inject({ method: 'DELETE', url: webhooksUrl(org.id, `/${theirs.id}`), headers: owner.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: webhooksUrl(org.id, `/${mine.id}`), headers: admin.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: webhooksUrl(org.id, `/${mine.id}`) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: webhooksUrl(other.org.id, `/${theirs.id}`), headers: other.owner.headers })).statusCode).toBe(200);
  });
});

describe('GET /api/v1/orgs/{org}/webhooks/{id}/deliveries', () => {
  it('is empty before anything was sent; 404 for another org, 403 to an admin, 400 for a bad limit', async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const { id } = await createdWebhook(t, owner.headers, org.id, { url: PUBLIC_URL });
    const theirs = await createdWebhook(t, other.owner.headers, other.org.id, { url: PUBLIC_URL });
    const url = webhooksUrl(org.id, `/${id}/deliveries`);
    expect(json(await t.app.inject({ method: 'GET', url, headers: owner.headers }))).toEqual({ data: [], next_cursor: null });
    expect((await t.app.inject({ method: 'GET', url: webhooksUrl(org.id, `/${theirs.id}/deliveries`), headers: owner.headers })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url, headers: admin.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: `${url}?limit=500`, headers: owner.headers })).statusCode).toBe(400);
  });
});

describe('the outbox', () => {
  it("gets one job per subscribed endpoint of the token's org, with the event id as webhook-id", async () => {
    const { org, owner, member } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const all = await createdWebhook(t, owner.headers, org.id, { url: PUBLIC_URL });
    const revokedOnly = await createdWebhook(t, owner.headers, org.id, { url: PUBLIC_URL, events: ['token.revoked'] });
    await createdWebhook(t, other.owner.headers, other.org.id, { url: PUBLIC_URL });
    const created = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: member.headers, payload: { name: 'ci', scopes: ['devices:read'], expires_in_days: 30 } });
    const { token, secret } = json(created);
    const jobs = await t.ctx.db.selectFrom('webhook_jobs').selectAll().execute();
    const [event] = await auditOf('token.created');
    expect(jobs).toMatchObject([{ webhook_id: all.id, event_id: event!.id, org_id: org.id, type: 'token.created', status: 'pending', attempts: 0 }]);
    const payload = JSON.parse(jobs[0]!.payload);
    expect(payload).toEqual({
      type: 'token.created',
      timestamp: new Date(t.clock.now()).toISOString(),
      data: { token, actor: { type: 'user', id: member.user.id, impersonator: null } },
    });
    expect(jobs[0]!.payload).not.toContain(secret);

    await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${token.id}/revoke`, headers: member.headers });
    const revoked = await t.ctx.db.selectFrom('webhook_jobs').selectAll().where('type', '=', 'token.revoked').orderBy('webhook_id').execute();
    expect(revoked.map((j) => j.webhook_id).sort()).toEqual([all.id, revokedOnly.id].sort());
    expect(JSON.parse(revoked[0]!.payload).data.token).toMatchObject({ id: token.id, status: 'revoked' });
  });

  it('gets nothing for token events of an org without webhooks, nor for other audited actions', async () => {
    const { org, owner, member } = await seedOrg(t.app, t.ctx);
    const created = json(await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: member.headers, payload: { name: 'ci', scopes: ['devices:read'], expires_in_days: 30 } }));
    await createdWebhook(t, owner.headers, org.id, { url: PUBLIC_URL });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}/tokens/${created.token.id}`, headers: member.headers, payload: { name: 'renamed' } });
    await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${created.token.id}/disable`, headers: member.headers });
    expect(await t.ctx.db.selectFrom('webhook_jobs').selectAll().execute()).toEqual([]);
  });
});
