import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser, signIn, type SessionHeaders } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { ALL_KEYWARD_SCOPES, expectProblem, snapshot } from './attack-helpers.js';

/**
 * Escalation paths test/security's other files and test/http/permission-matrix.test.ts do not
 * already prove: fields no PATCH or rotation may set, a member promoting themselves, an owner
 * changing what only a site admin sets. Each refused exactly, and nothing changed.
 */
let t: TestApp;
let org: Org;
let owner: User;
let member: User;
let ownerSession: SessionHeaders;
let memberSession: SessionHeaders;
let token: { id: string; secret: string };
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx);
  owner = await makeUser(t.ctx);
  member = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'owner');
  await addMember(t.ctx, org, member, 'member');
  ownerSession = await signIn(t.app, owner);
  memberSession = await signIn(t.app, member);
  token = await makeToken(t.ctx, org, member, { scopes: ['devices:read', 'keyward:tokens:write', 'keyward:tokens:read'] });
});
afterEach(() => t.close());

const TABLES = ['tokens', 'memberships', 'orgs', 'users', 'roles'] as const;
const VALIDATION = { status: 400, code: 'validation_failed', challenge: null };
const FORBIDDEN = { status: 403, code: 'forbidden', challenge: null };

describe('fields nobody sets', () => {
  it.each([
    ['owner_id', () => owner.id],
    ['org_id', () => 'org_other'],
    ['kind', () => 'jwt'],
    ['status', () => 'active'],
    ['impersonation', () => false],
    ['ip_allowlist', () => []],
    ['revoked_at', () => null],
    ['created_by', () => ({ id: owner.id })],
    ['id', () => 'tok_other'],
    ['digest', () => 'x'],
    ['secret', () => 'kw_x'],
    ['scopes', () => ['keyward:*']],
  ])('PATCH of a token refuses %s with 400, by session and by the token itself', async (field, value) => {
    const before = await snapshot(t.ctx, TABLES);
    const url = `/api/v1/orgs/${org.id}/tokens/${token.id}`;
    for (const headers of [memberSession, ownerSession, { authorization: `Bearer ${token.secret}` }]) {
      const response = await t.app.inject({ method: 'PATCH', url, headers, payload: { name: 'renamed', [field]: value() } });
      expectProblem(response, VALIDATION, field);
    }
    expect(await snapshot(t.ctx, TABLES)).toBe(before);
  });

  it.each([
    ['scopes', ['keyward:*']],
    ['expires_in_days', 365],
    ['ip_allowlist', []],
    ['owner_id', 'usr_x'],
    ['kind', 'jwt'],
  ])('a rotation refuses %s with 400: the successor is the same token, renewed', async (field, value) => {
    const before = await snapshot(t.ctx, TABLES);
    const org_ = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${token.id}/rotate`, headers: memberSession, payload: { grace_period_seconds: 0, [field]: value } });
    expectProblem(org_, VALIDATION, `org rotate ${field}`);
    const self = await t.app.inject({ method: 'POST', url: '/api/v1/tokens/self/rotate', headers: { authorization: `Bearer ${token.secret}` }, payload: { [field]: value } });
    expectProblem(self, VALIDATION, `self rotate ${field}`);
    expect(await snapshot(t.ctx, TABLES)).toBe(before);
  });
});

describe('a member', () => {
  it.each(['admin', 'owner'])('cannot make themselves %s (403), by session or by a token with every keyward scope', async (role) => {
    const all = await makeToken(t.ctx, org, member, { scopes: ALL_KEYWARD_SCOPES });
    const before = await snapshot(t.ctx, TABLES);
    for (const headers of [memberSession, { authorization: `Bearer ${all.secret}` }]) {
      const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}/members/${member.id}`, headers, payload: { role } });
      expect(response.statusCode, response.body).toBe(403);
      expect(['forbidden', 'insufficient_scope']).toContain(json(response).code);
    }
    expect(await snapshot(t.ctx, TABLES)).toBe(before);
  });

  it("gets no management power from a token that claims it: a member's token with every keyward scope reads no members", async () => {
    const all = await makeToken(t.ctx, org, member, { scopes: ALL_KEYWARD_SCOPES });
    const response = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/members`, headers: { authorization: `Bearer ${all.secret}` } });
    expect(response.statusCode).toBe(403);
  });
});

describe('an owner who is no site admin', () => {
  it.each([
    ['plan', { plan: 'free' }],
    ['features', { features: ['insights_api'] }],
  ])('cannot change the org %s (403 forbidden), nothing changed', async (_label, payload) => {
    const before = await snapshot(t.ctx, TABLES);
    const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: ownerSession, payload });
    expectProblem(response, FORBIDDEN);
    expect(await snapshot(t.ctx, TABLES)).toBe(before);
  });

  it('cannot create a site admin, or make themselves one', async () => {
    const before = await snapshot(t.ctx, TABLES);
    const create = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: ownerSession, payload: { email: 'new@example.test', name: 'New', password: 'a long enough password', site_admin: true } });
    expectProblem(create, FORBIDDEN);
    expect(await snapshot(t.ctx, TABLES)).toBe(before);
  });
});
