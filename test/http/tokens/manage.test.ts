import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeServiceAccount, makeToken, seedOrg, signIn } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { setUserStatus } from '../../../src/store/users.js';
import { systemActor } from '../../../src/services/audit.js';
import { suspendOwnerTokens } from '../../../src/services/tokens/transitions.js';
import { auditRows, bearer, createdToken, me, NEW_TOKEN, tokenAction } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const url = (orgId: string, tokenId: string) => `/api/v1/orgs/${orgId}/tokens/${tokenId}`;

function getOne(orgId: string, tokenId: string, headers: Record<string, string>) {
  return t.app.inject({ method: 'GET', url: url(orgId, tokenId), headers });
}

function patch(orgId: string, tokenId: string, headers: Record<string, string>, payload: object) {
  return t.app.inject({ method: 'PATCH', url: url(orgId, tokenId), headers, payload });
}

describe('GET /api/v1/orgs/{org}/tokens/{id}', () => {
  it('shows a token to its owner and to holders of tokens.manage', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, member.headers, org.id);
    for (const headers of [member.headers, admin.headers]) {
      const response = await getOne(org.id, id, headers);
      expect(response.statusCode).toBe(200);
      expect(json(response)).toMatchObject({ id, name: NEW_TOKEN.name, status: 'active' });
      expect(json(response).secret).toBeUndefined();
    }
  });

  it("answers 404 for another member's token without tokens.manage, and for an unknown id", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, admin.headers, org.id);
    expect((await getOne(org.id, id, member.headers)).statusCode).toBe(404);
    expect((await getOne(org.id, 'tok_nope', member.headers)).statusCode).toBe(404);
  });

  it("answers 404 for another org's token, even to an admin", async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, other.member.headers, other.org.id);
    const response = await getOne(org.id, id, admin.headers);
    expect(response.statusCode).toBe(404);
    expect(json(response).code).toBe('not_found');
  });

  it('answers 401 without credentials and 403 to a token without keyward:tokens:read', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user, { scopes: ['devices:read'] });
    const anonymous = await getOne(org.id, id, {});
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="keyward"');
    expect((await getOne(org.id, id, bearer(secret))).statusCode).toBe(403);
  });
});

describe('PATCH /api/v1/orgs/{org}/tokens/{id}', () => {
  it('renames a token and edits its description, audited as token.renamed', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, member.headers, org.id);
    const response = await patch(org.id, id, member.headers, { name: ' Release bot ', description: 'ships builds' });
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ id, name: 'Release bot', description: 'ships builds' });
    t.clock.advance(1000); // audit ids sort by time
    const cleared = await patch(org.id, id, member.headers, { description: null });
    expect(json(cleared)).toMatchObject({ name: 'Release bot', description: null });
    const renamed = (await auditRows(t)).filter((e) => e.action === 'token.renamed');
    expect(renamed).toHaveLength(2);
    expect(JSON.parse(renamed[0]!.details)).toMatchObject({ name: 'Release bot', previous_name: NEW_TOKEN.name });
  });

  it('answers 400 for immutable fields, an empty body and a blank name', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, member.headers, org.id);
    for (const body of [{ scopes: ['devices:write'] }, { expires_at: '2027-01-01T00:00:00Z' }, {}, { name: ' ' }]) {
      const response = await patch(org.id, id, member.headers, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(json(response).code).toBe('validation_failed');
    }
  });

  it("answers 404 for another member's or another org's token and 403 to a read-only token", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const adminToken = await createdToken(t, admin.headers, org.id);
    const foreign = await createdToken(t, other.member.headers, other.org.id);
    expect((await patch(org.id, adminToken.id, member.headers, { name: 'mine now' })).statusCode).toBe(404);
    expect((await patch(org.id, foreign.id, admin.headers, { name: 'mine now' })).statusCode).toBe(404);
    const { id, secret } = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:tokens:read'] });
    const response = await patch(org.id, id, bearer(secret), { name: 'x' });
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('insufficient_scope');
  });
});

describe('POST /api/v1/orgs/{org}/tokens/{id}/revoke', () => {
  it('revokes at once: the next use of the secret is 401, and it is audited', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await createdToken(t, member.headers, org.id);
    expect((await me(t, secret)).statusCode).toBe(200); // cached on the verify path
    const response = await tokenAction(t, member.headers, org.id, id, 'revoke');
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ status: 'revoked', revoked_at: new Date(t.clock.ms).toISOString() });
    const after = await me(t, secret);
    expect(after.statusCode).toBe(401);
    expect(after.headers['www-authenticate']).toContain('error="invalid_token"');
    const revoked = (await auditRows(t)).filter((e) => e.action === 'token.revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ target_id: id, actor_id: member.user.id });
  });

  it("lets tokens.manage revoke a member's and a service account's token; revoking twice changes nothing", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const bot = await makeServiceAccount(t.ctx, org);
    const memberToken = await createdToken(t, member.headers, org.id);
    const botToken = await createdToken(t, admin.headers, org.id, { ...NEW_TOKEN, owner_id: bot.id });
    for (const { id } of [memberToken, botToken]) {
      expect(json(await tokenAction(t, admin.headers, org.id, id, 'revoke')).status).toBe('revoked');
    }
    t.clock.advance(1000);
    const again = await tokenAction(t, admin.headers, org.id, memberToken.id, 'revoke');
    expect(again.statusCode).toBe(200);
    expect(json(again).revoked_at).toBe(new Date(t.clock.ms - 1000).toISOString());
    expect((await auditRows(t)).filter((e) => e.action === 'token.revoked')).toHaveLength(2);
  });

  it("answers 404 for another member's token and for another org's token, 401 without credentials", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const adminToken = await createdToken(t, admin.headers, org.id);
    const foreign = await createdToken(t, other.member.headers, other.org.id);
    expect((await tokenAction(t, member.headers, org.id, adminToken.id, 'revoke')).statusCode).toBe(404);
    expect((await tokenAction(t, admin.headers, org.id, foreign.id, 'revoke')).statusCode).toBe(404);
    expect((await tokenAction(t, admin.headers, other.org.id, foreign.id, 'revoke')).statusCode).toBe(404);
    expect((await me(t, foreign.secret)).statusCode).toBe(200);
    const anonymous = await tokenAction(t, {}, org.id, adminToken.id, 'revoke');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="keyward"');
  });

  it('answers 403 to a token without keyward:tokens:write', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:tokens:read'] });
    const response = await tokenAction(t, bearer(secret), org.id, id, 'revoke');
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toContain('scope="keyward:tokens:write"');
  });
});

describe('POST /api/v1/orgs/{org}/tokens/{id}/disable', () => {
  it('suspends a token until it is enabled again', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await createdToken(t, member.headers, org.id);
    const response = await tokenAction(t, member.headers, org.id, id, 'disable');
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ status: 'disabled', disabled_reason: 'manual' });
    expect((await me(t, secret)).statusCode).toBe(401);
    expect((await auditRows(t)).some((e) => e.action === 'token.disabled' && e.target_id === id)).toBe(true);
  });

  it('records who suspended it: manual by its owner, administrative by a manager', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const bot = await makeServiceAccount(t.ctx, org);
    const botToken = await makeToken(t.ctx, org, bot);
    const own = await createdToken(t, admin.headers, org.id);
    const memberToken = await createdToken(t, member.headers, org.id);
    expect(json(await tokenAction(t, admin.headers, org.id, own.id, 'disable')).disabled_reason).toBe('manual');
    expect(json(await tokenAction(t, admin.headers, org.id, memberToken.id, 'disable')).disabled_reason).toBe('administrative');
    expect(json(await tokenAction(t, admin.headers, org.id, botToken.id, 'disable')).disabled_reason).toBe('administrative');
    const audited = (await auditRows(t)).filter((e) => e.action === 'token.disabled');
    const reasons = Object.fromEntries(audited.map((e) => [e.target_id, JSON.parse(e.details).reason]));
    expect(reasons).toEqual({ [own.id]: 'manual', [memberToken.id]: 'administrative', [botToken.id]: 'administrative' });
  });

  it('refuses a revoked token with 409 conflict', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, member.headers, org.id);
    await tokenAction(t, member.headers, org.id, id, 'revoke');
    const response = await tokenAction(t, member.headers, org.id, id, 'disable');
    expect(response.statusCode).toBe(409);
    expect(json(response).code).toBe('conflict');
  });

  it("answers 404 for another member's token", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, admin.headers, org.id);
    expect((await tokenAction(t, member.headers, org.id, id, 'disable')).statusCode).toBe(404);
  });
});

describe('POST /api/v1/orgs/{org}/tokens/{id}/enable', () => {
  it('re-enables a disabled token', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await createdToken(t, member.headers, org.id);
    await tokenAction(t, member.headers, org.id, id, 'disable');
    const response = await tokenAction(t, member.headers, org.id, id, 'enable');
    expect(response.statusCode).toBe(200);
    expect(json(response)).toMatchObject({ status: 'active', disabled_reason: null });
    expect((await me(t, secret)).statusCode).toBe(200);
    expect((await auditRows(t)).some((e) => e.action === 'token.enabled' && e.target_id === id)).toBe(true);
  });

  it('refuses a token that expired while disabled, and a revoked one, with 409', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const expiring = await createdToken(t, member.headers, org.id);
    const revoked = await createdToken(t, member.headers, org.id);
    await tokenAction(t, member.headers, org.id, expiring.id, 'disable');
    await tokenAction(t, member.headers, org.id, revoked.id, 'revoke');
    expect((await tokenAction(t, member.headers, org.id, revoked.id, 'enable')).statusCode).toBe(409);
    t.clock.advanceDays(31);
    const response = await tokenAction(t, await signIn(t.app, member.user), org.id, expiring.id, 'enable');
    expect(response.statusCode).toBe(409);
    expect(json(response).code).toBe('conflict');
  });

  it('refuses tokens disabled by the deactivation of an owner who is still inactive', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await createdToken(t, member.headers, org.id);
    await setUserStatus(t.ctx.db, member.user.id, 'deactivated', t.clock.ms);
    await suspendOwnerTokens(t.ctx.db, systemActor(), member.user.id, org.id, t.clock.ms);
    t.ctx.invalidate.owner(member.user.id);
    const refused = await tokenAction(t, admin.headers, org.id, id, 'enable');
    expect(refused.statusCode).toBe(409);
    await setUserStatus(t.ctx.db, member.user.id, 'active', t.clock.ms);
    const enabled = await tokenAction(t, admin.headers, org.id, id, 'enable');
    expect(enabled.statusCode).toBe(200);
    expect((await me(t, secret)).statusCode).toBe(200);
  });

  it('refuses to bring back a token beyond the per-user cap', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { policy: { max_tokens_per_user: 2 } });
    const paused = await createdToken(t, member.headers, org.id);
    await tokenAction(t, member.headers, org.id, paused.id, 'disable');
    await createdToken(t, member.headers, org.id);
    await createdToken(t, member.headers, org.id);
    const response = await tokenAction(t, member.headers, org.id, paused.id, 'enable');
    expect(response.statusCode).toBe(422);
    expect(json(response).code).toBe('token_limit_reached');
  });

  it('lets the owner undo only their own suspension: one by a manager needs tokens.manage', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await createdToken(t, member.headers, org.id);
    const disabled = await tokenAction(t, admin.headers, org.id, id, 'disable');
    expect(json(disabled).disabled_reason).toBe('administrative');
    const refused = await tokenAction(t, member.headers, org.id, id, 'enable');
    expect(refused.statusCode).toBe(403);
    expect(json(refused).code).toBe('forbidden');
    expect((await me(t, secret)).statusCode).toBe(401);
    expect((await tokenAction(t, admin.headers, org.id, id, 'enable')).statusCode).toBe(200);
    expect((await me(t, secret)).statusCode).toBe(200);
  });

  it('refuses the owner a token the system disabled when they left, even once they are back', async () => {
    const { org, owner, member, admin } = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, member.headers, org.id);
    const members = `/api/v1/orgs/${org.id}/members`;
    await t.app.inject({ method: 'DELETE', url: `${members}/${member.user.id}`, headers: owner.headers });
    await t.app.inject({ method: 'POST', url: members, headers: owner.headers, payload: { user_id: member.user.id, role: 'member' } });
    const refused = await tokenAction(t, member.headers, org.id, id, 'enable');
    expect(refused.statusCode).toBe(403);
    const enabled = await tokenAction(t, admin.headers, org.id, id, 'enable');
    expect(enabled.statusCode).toBe(200);
    expect(json(enabled).status).toBe('active');
  });

  it("answers 404 for another org's token", async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const other = await seedOrg(t.app, t.ctx);
    const { id } = await createdToken(t, other.member.headers, other.org.id);
    expect((await tokenAction(t, admin.headers, org.id, id, 'enable')).statusCode).toBe(404);
  });
});
