import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeServiceAccount, makeToken, makeUser, seedOrg, signIn } from '../../factories.js';
import { updateOrg } from '../../../src/store/orgs.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { auditRows, bearer, createdToken, me, NEW_TOKEN, tokenAction } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const DAY = 86_400_000;

describe('POST /api/v1/orgs/{org}/tokens/{id}/rotate', () => {
  it('issues a successor and keeps the old secret working for the grace period only', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const old = await createdToken(t, member.headers, org.id, {
      ...NEW_TOKEN,
      description: 'nightly',
      scopes: ['devices:read', 'clients:read'],
      ip_allowlist: ['127.0.0.1'],
    });
    t.clock.advanceDays(10);
    const headers = await signIn(t.app, member.user);
    const response = await tokenAction(t, headers, org.id, old.id, 'rotate', { grace_period_seconds: 3600 });
    expect(response.statusCode).toBe(201);
    const { token, secret } = json(response);
    expect(secret).not.toBe(old.secret);
    expect(token).toMatchObject({
      name: NEW_TOKEN.name,
      description: 'nightly',
      scopes: ['devices:read', 'clients:read'],
      kind: 'api_key',
      owner: { type: 'user', id: member.user.id },
      ip_allowlist: ['127.0.0.1'],
      impersonation: false,
      rotated_from: old.id,
      // A fresh lifetime as long as the original's 30 days.
      expires_at: new Date(t.clock.ms + 30 * DAY).toISOString(),
    });
    const previous = json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens/${old.id}`, headers }));
    expect(previous).toMatchObject({ replaced_by: token.id, status: 'active', expires_at: new Date(t.clock.ms + 3600_000).toISOString() });
    expect((await me(t, old.secret)).statusCode).toBe(200);
    expect((await me(t, secret)).statusCode).toBe(200);
    t.clock.advance(3600_000 + 1);
    expect((await me(t, old.secret)).statusCode).toBe(401);
    expect((await me(t, secret)).statusCode).toBe(200);
    const rotated = (await auditRows(t)).find((e) => e.action === 'token.rotated')!;
    expect(rotated.target_id).toBe(old.id);
    expect(JSON.parse(rotated.details)).toMatchObject({ successor: token.id, grace_period_seconds: 3600 });
    expect(JSON.stringify(await auditRows(t))).not.toContain(secret);
  });

  it('revokes the old token at once when no grace period is given', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const old = await createdToken(t, member.headers, org.id);
    const response = await tokenAction(t, member.headers, org.id, old.id, 'rotate');
    expect(response.statusCode).toBe(201);
    expect((await me(t, old.secret)).statusCode).toBe(401);
    expect((await me(t, json(response).secret)).statusCode).toBe(200);
  });

  it('re-signs JWT successors with their own jti', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const old = await createdToken(t, member.headers, org.id, { ...NEW_TOKEN, kind: 'jwt' });
    const { token, secret } = json(await tokenAction(t, member.headers, org.id, old.id, 'rotate', { grace_period_seconds: 60 }));
    expect(token.kind).toBe('jwt');
    expect(decodeJwt(secret)).toMatchObject({ jti: token.id, sub: member.user.id, scope: 'devices:read' });
    expect((await me(t, secret)).statusCode).toBe(200);
  });

  it('answers 409 for a token already rotated, revoked, expired or disabled', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const rotated = await createdToken(t, member.headers, org.id);
    const revoked = await createdToken(t, member.headers, org.id);
    const disabled = await createdToken(t, member.headers, org.id);
    const expired = await createdToken(t, member.headers, org.id);
    await tokenAction(t, member.headers, org.id, rotated.id, 'rotate', { grace_period_seconds: 600 });
    await tokenAction(t, member.headers, org.id, revoked.id, 'revoke');
    await tokenAction(t, member.headers, org.id, disabled.id, 'disable');
    for (const { id } of [rotated, revoked, disabled]) {
      const response = await tokenAction(t, member.headers, org.id, id, 'rotate', { grace_period_seconds: 0 });
      expect(response.statusCode).toBe(409);
      expect(json(response).code).toBe('conflict');
    }
    t.clock.advanceDays(31);
    const late = await tokenAction(t, await signIn(t.app, member.user), org.id, expired.id, 'rotate', { grace_period_seconds: 0 });
    expect(late.statusCode).toBe(409);
  });

  it('answers 400 for a grace period beyond 7 days or an unknown field', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, member.headers, org.id);
    for (const body of [{ grace_period_seconds: 604_801 }, { grace_period_seconds: -1 }, { grace_period_seconds: 0, scopes: [] }]) {
      const response = await tokenAction(t, member.headers, org.id, id, 'rotate', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('answers 401 without credentials and 403 to a token without keyward:tokens:write', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:tokens:read'] });
    const anonymous = await tokenAction(t, {}, org.id, id, 'rotate', { grace_period_seconds: 0 });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="keyward"');
    const reader = await tokenAction(t, bearer(secret), org.id, id, 'rotate', { grace_period_seconds: 0 });
    expect(reader.statusCode).toBe(403);
    expect(json(reader).code).toBe('insufficient_scope');
  });

  it("answers 404 for another member's token and another org's token", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const adminToken = await createdToken(t, admin.headers, org.id);
    const foreign = await createdToken(t, other.member.headers, other.org.id);
    expect((await tokenAction(t, member.headers, org.id, adminToken.id, 'rotate', { grace_period_seconds: 0 })).statusCode).toBe(404);
    expect((await tokenAction(t, admin.headers, org.id, foreign.id, 'rotate', { grace_period_seconds: 0 })).statusCode).toBe(404);
  });

  // Rotation returns a secret that acts as the token's owner: a manager may end a member's token, not take it over.
  it("refuses an admin rotating a member's or the owner's token with 403; revoking and disabling still work", async () => {
    const { org, owner, member, admin } = await seedOrg(t.app, t.ctx);
    const memberToken = await createdToken(t, member.headers, org.id);
    const ownerToken = await createdToken(t, owner.headers, org.id, { ...NEW_TOKEN, scopes: ['keyward:admin'] });
    for (const { id } of [memberToken, ownerToken]) {
      const response = await tokenAction(t, admin.headers, org.id, id, 'rotate', { grace_period_seconds: 0 });
      expect(response.statusCode).toBe(403);
      expect(json(response).code).toBe('forbidden');
      expect(response.body).not.toContain('"secret"');
    }
    expect((await tokenAction(t, admin.headers, org.id, memberToken.id, 'disable')).statusCode).toBe(200);
    expect((await tokenAction(t, admin.headers, org.id, ownerToken.id, 'revoke')).statusCode).toBe(200);
    expect((await auditRows(t)).some((e) => e.action === 'token.rotated')).toBe(false);
  });

  it("lets tokens.manage rotate a service account's token; the successor stays the account's", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const bot = await makeServiceAccount(t.ctx, org);
    const { id } = await makeToken(t.ctx, org, bot);
    const response = await tokenAction(t, admin.headers, org.id, id, 'rotate', { grace_period_seconds: 0 });
    expect(response.statusCode).toBe(201);
    expect(json(response).token).toMatchObject({ owner: { type: 'service_account', id: bot.id }, created_by: { id: admin.user.id } });
    expect((await me(t, json(response).secret)).statusCode).toBe(200);
    expect((await tokenAction(t, member.headers, org.id, json(response).token.id, 'rotate', { grace_period_seconds: 0 })).statusCode).toBe(404);
  });

  it('lets tokens.impersonate rotate an impersonation token it could create now, and refuses one for a member who outranks it', async () => {
    const { org, owner, member, admin } = await seedOrg(t.app, t.ctx);
    const coOwner = await makeUser(t.ctx);
    await addMember(t.ctx, org, coOwner, 'owner');
    const forMember = await makeToken(t.ctx, org, member.user, { impersonatedBy: owner.user });
    const forOwner = await makeToken(t.ctx, org, owner.user, { impersonatedBy: coOwner });
    const rotated = await tokenAction(t, admin.headers, org.id, forMember.id, 'rotate', { grace_period_seconds: 0 });
    expect(rotated.statusCode).toBe(201);
    expect(json(rotated).token).toMatchObject({ impersonation: true, owner: { id: member.user.id }, created_by: { id: admin.user.id } });
    const refused = await tokenAction(t, admin.headers, org.id, forOwner.id, 'rotate', { grace_period_seconds: 0 });
    expect(refused.statusCode).toBe(403);
    expect((await me(t, forOwner.secret)).statusCode).toBe(200);
  });

  it('lets a token caller rotate only tokens whose scopes it holds itself', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const caller = await makeToken(t.ctx, org, admin.user, { scopes: ['keyward:tokens:write', 'devices:read'] });
    const stronger = await makeToken(t.ctx, org, admin.user, { scopes: ['devices:read', 'clients:write'] });
    const weaker = await makeToken(t.ctx, org, admin.user, { scopes: ['devices:read'] });
    const refused = await tokenAction(t, bearer(caller.secret), org.id, stronger.id, 'rotate', { grace_period_seconds: 0 });
    expect(refused.statusCode).toBe(422);
    expect(json(refused).code).toBe('scope_not_allowed');
    expect((await me(t, stronger.secret)).statusCode).toBe(200);
    const allowed = await tokenAction(t, bearer(caller.secret), org.id, weaker.id, 'rotate', { grace_period_seconds: 0 });
    expect(allowed.statusCode).toBe(201);
  });

  it('refuses a member of an org that turned self-service off, since rotating mints a token', async () => {
    const { org, owner, member } = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, member.headers, org.id);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: owner.headers, payload: { token_policy: { self_service: false } } });
    const response = await tokenAction(t, member.headers, org.id, id, 'rotate', { grace_period_seconds: 0 });
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('forbidden');
  });

  it('refuses scopes the org no longer offers or the rotator no longer backs with scope_not_allowed', async () => {
    const { org, owner, admin } = await seedOrg(t.app, t.ctx, { features: ['insights_api'] });
    const insights = await createdToken(t, admin.headers, org.id, { ...NEW_TOKEN, scopes: ['insights:read'] });
    const managing = await createdToken(t, admin.headers, org.id, { ...NEW_TOKEN, scopes: ['keyward:admin'] });
    await updateOrg(t.ctx.db, { ...org, features: [] });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}/members/${admin.user.id}`, headers: owner.headers, payload: { role: 'member' } });
    for (const { id } of [insights, managing]) {
      const response = await tokenAction(t, admin.headers, org.id, id, 'rotate', { grace_period_seconds: 0 });
      expect(response.statusCode, id).toBe(422);
      expect(json(response).code).toBe('scope_not_allowed');
    }
  });

  // Issue 9, finding 6 (test/security/rotation-cap.test.ts): the old token in its grace counts too.
  it('fits the per-user cap without a grace period, the successor in the old token\'s place; a grace needs room', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { policy: { max_tokens_per_user: 1 } });
    const { id } = await createdToken(t, member.headers, org.id);
    const withGrace = await tokenAction(t, member.headers, org.id, id, 'rotate', { grace_period_seconds: 3600 });
    expect(withGrace.statusCode).toBe(422);
    expect(json(withGrace).code).toBe('token_limit_reached');
    const response = await tokenAction(t, member.headers, org.id, id, 'rotate', { grace_period_seconds: 0 });
    expect(response.statusCode).toBe(201);
  });
});

describe('POST /api/v1/orgs/{org}/tokens/{id}/rotate, raced', () => {
  // SQLite serializes the two transactions; the conditional update in markReplaced is what keeps
  // this true where they truly overlap (PostgreSQL).
  it('lets one of two concurrent rotations win; the other is a 409 and leaves no successor', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const old = await createdToken(t, member.headers, org.id, NEW_TOKEN);
    const [a, b] = await Promise.all([
      tokenAction(t, member.headers, org.id, old.id, 'rotate', { grace_period_seconds: 0 }),
      tokenAction(t, member.headers, org.id, old.id, 'rotate', { grace_period_seconds: 0 }),
    ]);
    expect([a!.statusCode, b!.statusCode].sort()).toEqual([201, 409]);
    const successors = await t.ctx.db.selectFrom('tokens').select('id').where('rotated_from', '=', old.id).execute();
    expect(successors).toHaveLength(1);
  });
});
