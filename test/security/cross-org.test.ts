import type { InjectOptions } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeRole, makeServiceAccount, makeToken, makeUser, signIn, type SessionHeaders } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { createdWebhook, PUBLIC_URL } from '../http/webhooks/helpers.js';
import { ALL_KEYWARD_SCOPES, expectProblem, snapshot } from './attack-helpers.js';

/**
 * OWASP API1 (BOLA) across tenants: an owner of org A, by session or by a token with every keyward
 * scope, reaches no object of org B — neither under B's id nor under A's id with B's object id in
 * the path. Every attempt is 404 not_found (never 403: existence is not revealed) and changes nothing.
 */
let t: TestApp;
let a: Org;
let b: Org;
let attacker: User;
let session: SessionHeaders;
let attackerToken: { id: string; secret: string };
let victim: { owner: User; member: User; token: { id: string; secret: string }; svc: User; svcToken: { id: string }; role: string; webhook: string };

const TABLES = ['orgs', 'memberships', 'roles', 'users', 'tokens', 'webhooks'] as const;

beforeEach(async () => {
  t = await startTestApp();
  a = await makeOrg(t.ctx);
  b = await makeOrg(t.ctx);
  attacker = await makeUser(t.ctx);
  await addMember(t.ctx, a, attacker, 'owner');
  session = await signIn(t.app, attacker);
  attackerToken = await makeToken(t.ctx, a, attacker, { scopes: ALL_KEYWARD_SCOPES });
  const owner = await makeUser(t.ctx);
  const member = await makeUser(t.ctx);
  await addMember(t.ctx, b, owner, 'owner');
  await addMember(t.ctx, b, member, 'member');
  const svc = await makeServiceAccount(t.ctx, b);
  const webhook = await createdWebhook(t, await signIn(t.app, owner), b.id, { url: PUBLIC_URL });
  victim = {
    owner,
    member,
    token: await makeToken(t.ctx, b, member, { scopes: ['devices:read'] }),
    svc,
    svcToken: await makeToken(t.ctx, b, svc, { scopes: ['devices:read'] }),
    role: await makeRole(t.ctx, b, ['audit.read'], 'b-auditors'),
    webhook: webhook.id,
  };
});
afterEach(() => t.close());

type Attempt = [label: string, method: InjectOptions['method'], url: (org: string) => string, payload?: object];

/** Every route that names an object of an org, called with `org` in the path. */
const ATTEMPTS: Attempt[] = [
  ['read the org', 'GET', (o) => `/api/v1/orgs/${o}`],
  ['rename the org', 'PATCH', (o) => `/api/v1/orgs/${o}`, { name: 'pwned' }],
  ['change the token policy', 'PATCH', (o) => `/api/v1/orgs/${o}`, { token_policy: { max_lifetime_days: 3650 } }],
  ['read the scopes', 'GET', (o) => `/api/v1/orgs/${o}/scopes`],
  ['list the members', 'GET', (o) => `/api/v1/orgs/${o}/members`],
  ['list the roles', 'GET', (o) => `/api/v1/orgs/${o}/roles`],
  ['list the service accounts', 'GET', (o) => `/api/v1/orgs/${o}/service-accounts`],
  ['list the tokens', 'GET', (o) => `/api/v1/orgs/${o}/tokens?owner=all`],
  ['read the audit log', 'GET', (o) => `/api/v1/orgs/${o}/audit-events`],
  ['export the audit log', 'GET', (o) => `/api/v1/orgs/${o}/audit-events?format=csv`],
  ['list the webhooks', 'GET', (o) => `/api/v1/orgs/${o}/webhooks`],
  ['create a webhook', 'POST', (o) => `/api/v1/orgs/${o}/webhooks`, { url: PUBLIC_URL }],
  ['create a token', 'POST', (o) => `/api/v1/orgs/${o}/tokens`, { name: 'x', scopes: ['devices:read'], expires_in_days: 30 }],
  ['add a member', 'POST', (o) => `/api/v1/orgs/${o}/members`, { email: 'nobody@example.test', role: 'member' }],
  ['create a role', 'POST', (o) => `/api/v1/orgs/${o}/roles`, { name: 'x', permissions: ['audit.read'] }],
  ['create a service account', 'POST', (o) => `/api/v1/orgs/${o}/service-accounts`, { name: 'x' }],
];

/** The routes that name one of B's objects by id: tried under B's id and under A's. */
function objectAttempts(): Attempt[] {
  const tok = victim.token.id;
  return [
    ['read a token', 'GET', (o) => `/api/v1/orgs/${o}/tokens/${tok}`],
    ['rename a token', 'PATCH', (o) => `/api/v1/orgs/${o}/tokens/${tok}`, { name: 'pwned' }],
    ['revoke a token', 'POST', (o) => `/api/v1/orgs/${o}/tokens/${tok}/revoke`],
    ['disable a token', 'POST', (o) => `/api/v1/orgs/${o}/tokens/${tok}/disable`],
    ['enable a token', 'POST', (o) => `/api/v1/orgs/${o}/tokens/${tok}/enable`],
    ['rotate a token', 'POST', (o) => `/api/v1/orgs/${o}/tokens/${tok}/rotate`, { grace_period_seconds: 0 }],
    ["revoke a service account's token", 'POST', (o) => `/api/v1/orgs/${o}/tokens/${victim.svcToken.id}/revoke`],
    ["change a member's role", 'PATCH', (o) => `/api/v1/orgs/${o}/members/${victim.member.id}`, { role: 'owner' }],
    ['remove a member', 'DELETE', (o) => `/api/v1/orgs/${o}/members/${victim.member.id}`],
    ['remove the owner', 'DELETE', (o) => `/api/v1/orgs/${o}/members/${victim.owner.id}`],
    ['impersonate a member', 'POST', (o) => `/api/v1/orgs/${o}/members/${victim.member.id}/tokens`, { name: 'x', scopes: ['devices:read'], expires_in_days: 30 }],
    ['rename a role', 'PATCH', (o) => `/api/v1/orgs/${o}/roles/${victim.role}`, { name: 'pwned' }],
    ['widen a role', 'PATCH', (o) => `/api/v1/orgs/${o}/roles/${victim.role}`, { permissions: ['org.manage', 'members.manage', 'tokens.manage'] }],
    ['delete a role', 'DELETE', (o) => `/api/v1/orgs/${o}/roles/${victim.role}`],
    ['delete a service account', 'DELETE', (o) => `/api/v1/orgs/${o}/service-accounts/${victim.svc.id}`],
    ['impersonate a service account', 'POST', (o) => `/api/v1/orgs/${o}/members/${victim.svc.id}/tokens`, { name: 'x', scopes: ['devices:read'], expires_in_days: 30 }],
    ['delete a webhook', 'DELETE', (o) => `/api/v1/orgs/${o}/webhooks/${victim.webhook}`],
    ["read a webhook's deliveries", 'GET', (o) => `/api/v1/orgs/${o}/webhooks/${victim.webhook}/deliveries`],
  ];
}

const personas: [string, () => Record<string, string>][] = [
  ['session', () => session],
  ['token with every keyward scope', () => ({ authorization: `Bearer ${attackerToken.secret}` })],
];

describe.each(personas)('an owner of another org, by %s', (_persona, headers) => {
  it("reaches nothing of the org under its id: 404 not_found, nothing changed", async () => {
    const before = await snapshot(t.ctx, TABLES);
    for (const [label, method, url, payload] of [...ATTEMPTS, ...objectAttempts()]) {
      const response = await t.app.inject({ method, url: url(b.id), headers: headers(), ...(payload ? { payload } : {}) });
      expectProblem(response, { status: 404, code: 'not_found', challenge: null }, label);
    }
    expect(await snapshot(t.ctx, TABLES)).toBe(before);
  });

  it("reaches none of its objects through the attacker's own org: 404 not_found, nothing changed", async () => {
    const before = await snapshot(t.ctx, TABLES);
    for (const [label, method, url, payload] of objectAttempts()) {
      const response = await t.app.inject({ method, url: url(a.id), headers: headers(), ...(payload ? { payload } : {}) });
      expectProblem(response, { status: 404, code: 'not_found', challenge: null }, label);
    }
    expect(await snapshot(t.ctx, TABLES)).toBe(before);
  });

  it("sees none of its objects through filters of the attacker's own org", async () => {
    for (const url of [
      `/api/v1/orgs/${a.id}/tokens?owner=${victim.member.id}`,
      `/api/v1/orgs/${a.id}/tokens?owner=all&q=${victim.token.id}`,
      `/api/v1/orgs/${a.id}/audit-events?actor=${victim.owner.id}`,
      `/api/v1/orgs/${a.id}/audit-events?token=${victim.token.id}`,
    ]) {
      const response = await t.app.inject({ method: 'GET', url, headers: headers() });
      if (response.statusCode === 200) {
        const body = JSON.stringify(json(response).data);
        for (const id of [victim.token.id, victim.member.id, victim.owner.id, b.id]) expect(body, url).not.toContain(id);
      } else {
        expect([400, 404], `${url} → ${response.statusCode}`).toContain(response.statusCode);
      }
    }
  });

  it("cannot pull its objects in: a token owned by its service account, its service account as a member", async () => {
    const before = await snapshot(t.ctx, TABLES);
    const create = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${a.id}/tokens`,
      headers: headers(),
      payload: { name: 'x', scopes: ['devices:read'], expires_in_days: 30, owner_id: victim.svc.id },
    });
    expectProblem(create, { status: 404, code: 'not_found', challenge: null }, 'token for their service account');
    const join = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${a.id}/members`, headers: headers(), payload: { user_id: victim.svc.id, role: 'member' } });
    expect([404, 422], join.body).toContain(join.statusCode);
    expect(await snapshot(t.ctx, TABLES)).toBe(before);
  });
});

describe("the victim org's objects", () => {
  it('still work after every attempt', async () => {
    for (const [, headers] of personas) {
      for (const [, method, url, payload] of [...ATTEMPTS, ...objectAttempts()]) {
        await t.app.inject({ method, url: url(b.id), headers: headers(), ...(payload ? { payload } : {}) });
      }
    }
    const me = await t.app.inject({ method: 'GET', url: '/auth/check', headers: { authorization: `Bearer ${victim.token.secret}`, 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices' } });
    expect(me.statusCode).toBe(200);
  });
});
