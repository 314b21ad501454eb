import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeOrg, makeRole, makeServiceAccount, makeToken, makeUser, seedOrg, signIn } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { auditRows, bearer, createToken, me, NEW_TOKEN } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const DAY = 86_400_000;

describe('POST /api/v1/orgs/{org}/tokens', () => {
  it('creates a token for the caller and returns its secret once', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const response = await createToken(t, member.headers, org.id, {
      ...NEW_TOKEN,
      name: '  ci pipeline ',
      description: 'nightly build',
      ip_allowlist: ['10.0.0.0/8', '127.0.0.1'],
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const { token, secret } = json(response);
    expect(secret).toMatch(/^kw_[0-9A-Za-z]{38}$/);
    expect(token).toMatchObject({
      org_id: org.id,
      name: 'ci pipeline',
      description: 'nightly build',
      kind: 'api_key',
      scopes: ['devices:read'],
      owner: { type: 'user', id: member.user.id },
      created_by: { id: member.user.id },
      impersonation: false,
      status: 'active',
      expiring_soon: false,
      expires_at: new Date(t.clock.ms + 30 * DAY).toISOString(),
      last_used_at: null,
      ip_allowlist: ['10.0.0.0/8', '127.0.0.1'],
      rotated_from: null,
      replaced_by: null,
    });
    expect(token.id).toMatch(/^tok_/);
    expect(token.hint).toBe(`${secret.slice(0, 7)}…${secret.slice(-4)}`);
    expect((await me(t, secret)).statusCode).toBe(200);
  });

  it('keeps the secret out of every later response, the database, the audit log and the logs', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { token, secret } = json(await createToken(t, member.headers, org.id));
    const get = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens/${token.id}`, headers: member.headers });
    const list = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens`, headers: member.headers });
    expect(get.statusCode).toBe(200);
    expect(list.statusCode).toBe(200);
    expect(get.body).not.toContain(secret);
    expect(list.body).not.toContain(secret);
    const row = await t.ctx.db.selectFrom('tokens').selectAll().where('id', '=', token.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret);
    const audit = await auditRows(t);
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(t.logs.join('')).not.toContain(secret);
    const created = audit.find((e) => e.action === 'token.created')!;
    expect(created).toMatchObject({ actor_id: member.user.id, target_type: 'token', target_id: token.id, org_id: org.id });
    expect(JSON.parse(created.details)).toEqual({
      name: 'ci pipeline',
      scopes: ['devices:read'],
      kind: 'api_key',
      expires_at: token.expires_at,
      hashed_token: createHash('sha256').update(secret).digest('hex'),
    });
  });

  it('issues JWT tokens that authenticate and carry the RFC 9068 header and claims', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const response = await createToken(t, member.headers, org.id, { ...NEW_TOKEN, kind: 'jwt', scopes: ['devices:read', 'clients:read'] });
    expect(response.statusCode).toBe(201);
    const { token, secret } = json(response);
    expect(token.kind).toBe('jwt');
    expect(decodeProtectedHeader(secret)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    const claims = decodeJwt(secret);
    expect(claims).toMatchObject({ sub: member.user.id, org: org.id, scope: 'devices:read clients:read', jti: token.id });
    expect(claims.exp).toBe(Math.floor((t.clock.ms + 30 * DAY) / 1000));
    expect(claims.act).toBeUndefined();
    const whoami = await me(t, secret);
    expect(whoami.statusCode).toBe(200);
    expect(json(whoami).token.id).toBe(token.id);
  });

  it('creates tokens for a service account of the org only with tokens.manage', async () => {
    const { org, admin, member } = await seedOrg(t.app, t.ctx);
    const bot = await makeServiceAccount(t.ctx, org);
    const byMember = await createToken(t, member.headers, org.id, { ...NEW_TOKEN, owner_id: bot.id });
    expect(byMember.statusCode).toBe(403);
    const byAdmin = await createToken(t, admin.headers, org.id, { ...NEW_TOKEN, owner_id: bot.id });
    expect(byAdmin.statusCode).toBe(201);
    expect(json(byAdmin).token).toMatchObject({ owner: { type: 'service_account', id: bot.id }, created_by: { id: admin.user.id } });
    const whoami = await me(t, json(byAdmin).secret);
    expect(json(whoami).user.id).toBe(bot.id);
    // A human member is not a service account, and another org's bot is not found.
    expect((await createToken(t, admin.headers, org.id, { ...NEW_TOKEN, owner_id: member.user.id })).statusCode).toBe(404);
    const otherBot = await makeServiceAccount(t.ctx, await makeOrg(t.ctx));
    expect((await createToken(t, admin.headers, org.id, { ...NEW_TOKEN, owner_id: otherBot.id })).statusCode).toBe(404);
  });

  it('answers 400 for bodies that break the schema or the name rules', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const bodies = [
      { name: 'x', expires_in_days: 30 },
      { ...NEW_TOKEN, scopes: [] },
      { ...NEW_TOKEN, scopes: ['devices:read', 'devices:read'] },
      { ...NEW_TOKEN, unknown: true },
      { ...NEW_TOKEN, name: '   ' },
      { ...NEW_TOKEN, name: 'a\u0007b' },
      { ...NEW_TOKEN, kind: 'paseto' },
      { ...NEW_TOKEN, ip_allowlist: ['not-an-ip'] },
      { name: 'x', scopes: ['devices:read'], expires_in_days: 30, expires_at: '2026-03-01T00:00:00Z' },
    ];
    for (const body of bodies) {
      const response = await createToken(t, member.headers, org.id, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(json(response).code).toBe('validation_failed');
    }
  });

  it('answers 401 with a bare challenge without credentials', async () => {
    const { org } = await seedOrg(t.app, t.ctx);
    const response = await createToken(t, {}, org.id);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward"');
    expect(json(response).code).toBe('unauthenticated');
  });

  it('answers 403 insufficient_scope to a token without keyward:tokens:write', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:tokens:read', 'devices:read'] });
    const response = await createToken(t, bearer(secret), org.id);
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('insufficient_scope');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward", error="insufficient_scope", scope="keyward:tokens:write"');
  });

  it('lets a token mint only scopes it holds itself', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:tokens:write', 'devices:read'] });
    expect((await createToken(t, bearer(secret), org.id)).statusCode).toBe(201);
    const wider = await createToken(t, bearer(secret), org.id, { ...NEW_TOKEN, scopes: ['clients:read'] });
    expect(wider.statusCode).toBe(422);
    expect(json(wider).code).toBe('scope_not_allowed');
  });

  it('answers 403 to a member when the org turned self-service off', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx, { policy: { self_service: false } });
    const response = await createToken(t, member.headers, org.id);
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('forbidden');
    expect((await createToken(t, admin.headers, org.id)).statusCode).toBe(201);
  });

  it('answers 404 for an org the caller does not belong to, and for a token of another org', async () => {
    const { member } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    expect((await createToken(t, member.headers, other.org.id)).statusCode).toBe(404);
    const { secret } = await makeToken(t.ctx, other.org, other.member.user, { scopes: ['keyward:tokens:write', 'devices:read'] });
    const { org } = await seedOrg(t.app, t.ctx);
    expect((await createToken(t, bearer(secret), org.id)).statusCode).toBe(404);
  });

  it('refuses the 11th active token of a user with token_limit_reached', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    for (let i = 0; i < 10; i += 1) expect((await createToken(t, member.headers, org.id)).statusCode).toBe(201);
    const response = await createToken(t, member.headers, org.id);
    expect(response.statusCode).toBe(422);
    expect(json(response).code).toBe('token_limit_reached');
    // The cap is per user.
    expect((await createToken(t, admin.headers, org.id)).statusCode).toBe(201);
  });

  it('refuses a lifetime beyond the policy with expiration_too_long', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { policy: { max_lifetime_days: 90, expiration_presets_days: [30, 90] } });
    const late = new Date(t.clock.ms + 91 * DAY).toISOString();
    for (const body of [{ ...NEW_TOKEN, expires_in_days: 180 }, { name: 'x', scopes: ['devices:read'], expires_at: late }]) {
      const response = await createToken(t, member.headers, org.id, body);
      expect(response.statusCode).toBe(422);
      expect(json(response).code).toBe('expiration_too_long');
    }
    const custom = new Date(t.clock.ms + 45 * DAY).toISOString();
    const ok = await createToken(t, member.headers, org.id, { name: 'x', scopes: ['devices:read'], expires_at: custom });
    expect(json(ok).token.expires_at).toBe(custom);
  });

  it('refuses a token without expiration with expiration_required', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const response = await createToken(t, member.headers, org.id, { name: 'forever', scopes: ['devices:read'] });
    expect(response.statusCode).toBe(422);
    expect(json(response).code).toBe('expiration_required');
  });

  it('refuses insights:read with scope_not_allowed unless the org has the insights_api feature', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const response = await createToken(t, member.headers, org.id, { ...NEW_TOKEN, scopes: ['devices:read', 'insights:read'] });
    expect(response.statusCode).toBe(422);
    expect(json(response)).toMatchObject({ code: 'scope_not_allowed', scope: 'insights:read' });
    const paying = await seedOrg(t.app, t.ctx, { features: ['insights_api'] });
    const ok = await createToken(t, paying.member.headers, paying.org.id, { ...NEW_TOKEN, scopes: ['insights:read'] });
    expect(ok.statusCode).toBe(201);
  });

  it('refuses unknown scopes and management scopes beyond the creator with scope_not_allowed', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    for (const scope of ['devices:delete', 'keyward:admin', 'keyward:audit:read']) {
      const response = await createToken(t, member.headers, org.id, { ...NEW_TOKEN, scopes: [scope] });
      expect(response.statusCode, scope).toBe(422);
      expect(json(response).code).toBe('scope_not_allowed');
    }
    expect((await createToken(t, member.headers, org.id, { ...NEW_TOKEN, scopes: ['keyward:tokens:read'] })).statusCode).toBe(201);
    expect((await createToken(t, admin.headers, org.id, { ...NEW_TOKEN, scopes: ['keyward:admin'] })).statusCode).toBe(201);
  });

  it('refuses every token in an org whose plan lacks tokens with feature_not_enabled', async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx, { plan: 'free' });
    const response = await createToken(t, owner.headers, org.id);
    expect(response.statusCode).toBe(422);
    expect(json(response).code).toBe('feature_not_enabled');
  });

  it('refuses a kind the org does not allow', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { policy: { allowed_kinds: ['api_key'] } });
    const response = await createToken(t, member.headers, org.id, { ...NEW_TOKEN, kind: 'jwt' });
    expect(response.statusCode).toBe(422);
    expect(json(response)).toMatchObject({ code: 'kind_not_allowed', field: 'kind' });
  });

  it('lets a custom role with tokens.create mint, and refuses a role without it', async () => {
    const org = await makeOrg(t.ctx);
    const creator = await makeUser(t.ctx);
    const viewer = await makeUser(t.ctx);
    await addMember(t.ctx, org, creator, await makeRole(t.ctx, org, ['tokens.create'], 'creators'));
    await addMember(t.ctx, org, viewer, await makeRole(t.ctx, org, ['audit.read'], 'auditors'));
    expect((await createToken(t, await signIn(t.app, creator), org.id)).statusCode).toBe(201);
    expect((await createToken(t, await signIn(t.app, viewer), org.id)).statusCode).toBe(403);
  });
});
