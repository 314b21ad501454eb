import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../../src/core/model.js';
import { updateToken } from '../../src/store/tokens.js';
import { addMember, makeOrg, makeRole, makeServiceAccount, makeToken, makeUser, PASSWORD, seedOrg, signIn, type SessionHeaders } from '../factories.js';
import { startTestApp, type TestApp } from '../harness.js';

/**
 * Who may call which management route, as data: each built-in role, plus a member of an org that
 * turned self-service off. One `it` per (route, persona) cell.
 */
type Persona = 'owner' | 'admin' | 'member' | 'member, self-service off';
const PERSONAS: Persona[] = ['owner', 'admin', 'member', 'member, self-service off'];

/** What a call may point at: ids made fresh for every test. */
type Fixture = { orgId: string; targetUserId: string; newcomerId: string; roleId: string };

type Call = {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: (f: Fixture) => string;
  payload?: (f: Fixture) => object;
};

const ROUTES = {
  'GET org': { method: 'GET', url: (f) => `/api/v1/orgs/${f.orgId}` },
  'PATCH org name': { method: 'PATCH', url: (f) => `/api/v1/orgs/${f.orgId}`, payload: () => ({ name: 'Renamed' }) },
  'PATCH org token_policy': { method: 'PATCH', url: (f) => `/api/v1/orgs/${f.orgId}`, payload: () => ({ token_policy: { warning_window_days: 7 } }) },
  'PATCH org plan': { method: 'PATCH', url: (f) => `/api/v1/orgs/${f.orgId}`, payload: () => ({ plan: 'classroom_pro' }) },
  'GET scopes': { method: 'GET', url: (f) => `/api/v1/orgs/${f.orgId}/scopes` },
  'GET members': { method: 'GET', url: (f) => `/api/v1/orgs/${f.orgId}/members` },
  'POST members': { method: 'POST', url: (f) => `/api/v1/orgs/${f.orgId}/members`, payload: (f) => ({ user_id: f.newcomerId, role: 'member' }) },
  'PATCH member': { method: 'PATCH', url: (f) => `/api/v1/orgs/${f.orgId}/members/${f.targetUserId}`, payload: () => ({ role: 'admin' }) },
  'DELETE member': { method: 'DELETE', url: (f) => `/api/v1/orgs/${f.orgId}/members/${f.targetUserId}` },
  'GET roles': { method: 'GET', url: (f) => `/api/v1/orgs/${f.orgId}/roles` },
  'POST roles': { method: 'POST', url: (f) => `/api/v1/orgs/${f.orgId}/roles`, payload: () => ({ name: 'auditors', permissions: ['audit.read'] }) },
  'PATCH role': { method: 'PATCH', url: (f) => `/api/v1/orgs/${f.orgId}/roles/${f.roleId}`, payload: () => ({ name: 'renamed' }) },
  'DELETE role': { method: 'DELETE', url: (f) => `/api/v1/orgs/${f.orgId}/roles/${f.roleId}` },
  'POST service-accounts': { method: 'POST', url: (f) => `/api/v1/orgs/${f.orgId}/service-accounts`, payload: () => ({ name: 'bot' }) },
  'GET service-accounts': { method: 'GET', url: (f) => `/api/v1/orgs/${f.orgId}/service-accounts` },
  'GET audit-events': { method: 'GET', url: (f) => `/api/v1/orgs/${f.orgId}/audit-events` },
  'POST tokens': {
    method: 'POST',
    url: (f) => `/api/v1/orgs/${f.orgId}/tokens`,
    payload: () => ({ name: 'ci', scopes: ['devices:read'], expires_in_days: 30 }),
  },
} satisfies Record<string, Call>;

// prettier-ignore
const MATRIX: [route: keyof typeof ROUTES, owner: number, admin: number, member: number, memberNoSelfService: number][] = [
  ['GET org',                200, 200, 200, 200],
  ['PATCH org name',         200, 403, 403, 403],
  ['PATCH org token_policy', 200, 403, 403, 403],
  ['PATCH org plan',         403, 403, 403, 403],
  ['GET scopes',             200, 200, 200, 200],
  ['GET members',            200, 200, 403, 403],
  ['POST members',           201, 201, 403, 403],
  ['PATCH member',           200, 200, 403, 403],
  ['DELETE member',          204, 204, 403, 403],
  ['GET roles',              200, 200, 403, 403],
  ['POST roles',             201, 201, 403, 403],
  ['PATCH role',             200, 200, 403, 403],
  ['DELETE role',            204, 204, 403, 403],
  ['POST service-accounts',  201, 201, 403, 403],
  ['GET service-accounts',   200, 200, 403, 403],
  ['GET audit-events',       200, 200, 403, 403],
  ['POST tokens',            201, 201, 201, 403],
];

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

async function arrange(persona: Persona): Promise<{ headers: SessionHeaders; fixture: Fixture }> {
  const seeded = await seedOrg(t.app, t.ctx, persona === 'member, self-service off' ? { policy: { self_service: false } } : {});
  const target = await makeUser(t.ctx);
  await addMember(t.ctx, seeded.org, target, 'member');
  const newcomer = await makeUser(t.ctx);
  const roleId = await makeRole(t.ctx, seeded.org, [], 'spare');
  const headers = persona === 'owner' ? seeded.owner.headers : persona === 'admin' ? seeded.admin.headers : seeded.member.headers;
  return { headers, fixture: { orgId: seeded.org.id, targetUserId: target.id, newcomerId: newcomer.id, roleId } };
}

describe('permission matrix of the management API', () => {
  for (const [route, ...statuses] of MATRIX) {
    describe(route, () => {
      PERSONAS.forEach((persona, column) => {
        const expected = statuses[column]!;
        it(`${persona} → ${expected}`, async () => {
          const { headers, fixture } = await arrange(persona);
          const call: Call = ROUTES[route];
          const response = await t.app.inject({
            method: call.method,
            url: call.url(fixture),
            headers,
            ...(call.payload ? { payload: call.payload(fixture) } : {}),
          });
          expect(response.statusCode, response.body).toBe(expected);
        });
      });
    });
  }
});

/**
 * The token routes, one `it` per row: each checks every caller below against a fresh org where
 * the caller has a token of its own, a colleague (a plain member) has one, the org owner made an
 * impersonation token for the colleague, and a service account has one.
 */
const TOKEN_PERSONAS = [
  'owner',
  'admin',
  'member',
  'member, self-service off',
  "admin's token with keyward:tokens:read+write",
  "admin's token with keyward:tokens:read",
  "admin's token without keyward scopes",
  "admin's impersonation token for the member, keyward:tokens:read+write",
] as const;
type TokenPersona = (typeof TOKEN_PERSONAS)[number];

type Target = 'own' | "member's" | 'impersonation' | 'service account';
type TokenFixture = { orgId: string; colleagueId: string; tokens: Record<Target, string> };
type TokenCall = {
  method: 'GET' | 'POST' | 'PATCH';
  url: (f: TokenFixture) => string;
  payload?: object;
  /** Puts the target in the state the call needs (a disabled token for enable). */
  prepare?: (f: TokenFixture) => Promise<void>;
};

const list = (owner: 'me' | 'all' | 'colleague'): TokenCall => ({
  method: 'GET',
  url: (f) => `/api/v1/orgs/${f.orgId}/tokens?owner=${owner === 'colleague' ? f.colleagueId : owner}`,
});
const tokenUrl = (f: TokenFixture, target: Target) => `/api/v1/orgs/${f.orgId}/tokens/${f.tokens[target]}`;
const get = (target: Target): TokenCall => ({ method: 'GET', url: (f) => tokenUrl(f, target) });
const rename = (target: Target): TokenCall => ({ method: 'PATCH', url: (f) => tokenUrl(f, target), payload: { name: 'renamed' } });
const act = (action: 'revoke' | 'disable' | 'rotate', target: Target): TokenCall => ({
  method: 'POST',
  url: (f) => `${tokenUrl(f, target)}/${action}`,
  payload: action === 'rotate' ? { grace_period_seconds: 0 } : {},
});
/** Enables the target after it was disabled by its owner (`manual`) or by a manager (`administrative`). */
const enable = (target: Target, reason: 'manual' | 'administrative'): TokenCall => ({
  method: 'POST',
  url: (f) => `${tokenUrl(f, target)}/enable`,
  payload: {},
  prepare: (f) => updateToken(t.ctx.db, f.tokens[target], { disabledAt: t.clock.ms, disabledReason: reason }),
});
const impersonateColleague: TokenCall = {
  method: 'POST',
  url: (f) => `/api/v1/orgs/${f.orgId}/members/${f.colleagueId}/tokens`,
  payload: { name: 'on behalf', scopes: ['devices:read'], expires_in_days: 30 },
};

// Columns: owner, admin, member, member (self-service off), admin token rw, admin token r, admin token without keyward scopes, impersonation token.
// prettier-ignore
const TOKEN_MATRIX: [row: string, call: TokenCall, expected: number[]][] = [
  ['list owner=me',                         list('me'),                                [200, 200, 200, 200, 200, 200, 403, 200]],
  ['list owner=all',                        list('all'),                               [200, 200, 403, 403, 200, 200, 403, 403]],
  ["list owner=<a colleague's id>",         list('colleague'),                         [200, 200, 403, 403, 200, 200, 403, 403]],
  ['get own',                               get('own'),                                [200, 200, 200, 200, 200, 200, 403, 200]],
  ["get a member's",                        get("member's"),                           [200, 200, 404, 404, 200, 200, 403, 404]],
  ['get an impersonation token',            get('impersonation'),                      [200, 200, 404, 404, 200, 200, 403, 404]],
  ["get a service account's",               get('service account'),                    [200, 200, 404, 404, 200, 200, 403, 404]],
  ['rename own',                            rename('own'),                             [200, 200, 200, 200, 200, 403, 403, 200]],
  ["rename a member's",                     rename("member's"),                        [200, 200, 404, 404, 200, 403, 403, 404]],
  ['rename an impersonation token',         rename('impersonation'),                   [200, 200, 404, 404, 200, 403, 403, 404]],
  ["rename a service account's",            rename('service account'),                 [200, 200, 404, 404, 200, 403, 403, 404]],
  ['revoke own',                            act('revoke', 'own'),                      [200, 200, 200, 200, 200, 403, 403, 200]],
  ["revoke a member's",                     act('revoke', "member's"),                 [200, 200, 404, 404, 200, 403, 403, 404]],
  ['revoke an impersonation token',         act('revoke', 'impersonation'),            [200, 200, 404, 404, 200, 403, 403, 404]],
  ["revoke a service account's",            act('revoke', 'service account'),         [200, 200, 404, 404, 200, 403, 403, 404]],
  ['disable own',                           act('disable', 'own'),                     [200, 200, 200, 200, 200, 403, 403, 200]],
  ["disable a member's",                    act('disable', "member's"),                [200, 200, 404, 404, 200, 403, 403, 404]],
  ['disable an impersonation token',        act('disable', 'impersonation'),           [200, 200, 404, 404, 200, 403, 403, 404]],
  ["disable a service account's",           act('disable', 'service account'),        [200, 200, 404, 404, 200, 403, 403, 404]],
  ['enable own, disabled by its owner',     enable('own', 'manual'),                   [200, 200, 200, 200, 200, 403, 403, 200]],
  ['enable own, disabled by a manager',     enable('own', 'administrative'),           [200, 200, 403, 403, 200, 403, 403, 403]],
  ["enable a member's",                     enable("member's", 'administrative'),      [200, 200, 404, 404, 200, 403, 403, 404]],
  ['enable an impersonation token',         enable('impersonation', 'administrative'), [200, 200, 404, 404, 200, 403, 403, 404]],
  ["enable a service account's",            enable('service account', 'administrative'), [200, 200, 404, 404, 200, 403, 403, 404]],
  ['rotate own',                            act('rotate', 'own'),                      [201, 201, 201, 403, 201, 403, 403, 403]],
  ["rotate a member's",                     act('rotate', "member's"),                 [403, 403, 404, 404, 403, 403, 403, 403]],
  ['rotate an impersonation token',         act('rotate', 'impersonation'),            [201, 201, 404, 404, 201, 403, 403, 403]],
  ["rotate a service account's",            act('rotate', 'service account'),         [201, 201, 404, 404, 201, 403, 403, 403]],
  ['create an impersonation token',         impersonateColleague,                      [201, 201, 403, 403, 201, 403, 403, 403]],
];

const READ_WRITE = ['keyward:tokens:read', 'keyward:tokens:write', 'devices:read'];
const TOKEN_CALLER_SCOPES: Partial<Record<TokenPersona, string[]>> = {
  "admin's token with keyward:tokens:read+write": READ_WRITE,
  "admin's token with keyward:tokens:read": ['keyward:tokens:read', 'devices:read'],
  "admin's token without keyward scopes": ['devices:read'],
};

async function arrangeTokens(persona: TokenPersona): Promise<{ headers: Record<string, string>; fixture: TokenFixture }> {
  const org = await makeOrg(t.ctx, persona === 'member, self-service off' ? { policy: { self_service: false } } : {});
  const people: Record<'owner' | 'admin' | 'member' | 'colleague', User> = {
    owner: await makeUser(t.ctx),
    admin: await makeUser(t.ctx),
    member: await makeUser(t.ctx),
    colleague: await makeUser(t.ctx),
  };
  await addMember(t.ctx, org, people.owner, 'owner');
  await addMember(t.ctx, org, people.admin, 'admin');
  await addMember(t.ctx, org, people.member, 'member');
  await addMember(t.ctx, org, people.colleague, 'member');
  const bot = await makeServiceAccount(t.ctx, org);
  const impersonating = persona === "admin's impersonation token for the member, keyward:tokens:read+write";
  const scopes = TOKEN_CALLER_SCOPES[persona];
  const caller =
    persona === 'owner' ? people.owner : persona === 'admin' || scopes !== undefined ? people.admin : people.member;
  const tokens: Record<Target, string> = {
    own: (await makeToken(t.ctx, org, caller)).id,
    "member's": (await makeToken(t.ctx, org, people.colleague)).id,
    impersonation: (await makeToken(t.ctx, org, people.colleague, { impersonatedBy: people.owner })).id,
    'service account': (await makeToken(t.ctx, org, bot)).id,
  };
  let headers: Record<string, string>;
  if (impersonating) {
    const { secret } = await makeToken(t.ctx, org, caller, { impersonatedBy: people.admin, scopes: READ_WRITE });
    headers = { authorization: `Bearer ${secret}` };
  } else if (scopes !== undefined) {
    headers = { authorization: `Bearer ${(await makeToken(t.ctx, org, caller, { scopes })).secret}` };
  } else {
    headers = await signIn(t.app, caller);
  }
  return { headers, fixture: { orgId: org.id, colleagueId: people.colleague.id, tokens } };
}

/** Runs one call as each persona, each in an org of its own, and answers the statuses by persona. */
async function statusesOf<P extends string, F>(
  personas: readonly P[],
  arrangeFor: (persona: P) => Promise<{ headers: Record<string, string>; fixture: F }>,
  call: { method: string; url: (f: F) => string; payload?: object; prepare?: (f: F) => Promise<void> },
): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  for (const persona of personas) {
    const { headers, fixture } = await arrangeFor(persona);
    await call.prepare?.(fixture);
    const response = await t.app.inject({
      method: call.method as 'GET',
      url: call.url(fixture),
      headers,
      ...(call.payload ? { payload: call.payload } : {}),
    });
    statuses[persona] = response.statusCode;
  }
  return statuses;
}

const byPersona = (personas: readonly string[], expected: number[]) => Object.fromEntries(personas.map((p, i) => [p, expected[i]]));

describe('permission matrix of the token routes', () => {
  for (const [row, call, expected] of TOKEN_MATRIX) {
    it(`${row} → ${expected.join(' ')}`, async () => {
      expect(await statusesOf(TOKEN_PERSONAS, arrangeTokens, call)).toEqual(byPersona(TOKEN_PERSONAS, expected));
    });
  }
});

/** Deployment-wide routes: only a site admin's own session reaches them, never a token (issue 9, finding 1). */
const SITE_PERSONAS = ['site admin', 'org owner', "owner's impersonation token for a site admin", "site admin's token with every keyward scope"] as const;
type SiteFixture = { orgId: string };

// prettier-ignore
const SITE_MATRIX: [row: string, call: { method: 'POST' | 'PATCH'; url: (f: SiteFixture) => string; payload: object }, expected: number[]][] = [
  ['POST /users',      { method: 'POST', url: () => '/api/v1/users', payload: { email: 'new@example.test', name: 'New', password: PASSWORD } }, [201, 403, 403, 403]],
  ['POST /verifiers',  { method: 'POST', url: () => '/api/v1/verifiers', payload: { name: 'resource server' } },                               [201, 403, 403, 403]],
  ['PATCH org plan',   { method: 'PATCH', url: (f) => `/api/v1/orgs/${f.orgId}`, payload: { plan: 'classroom_pro' } },                        [200, 403, 403, 403]],
];

async function arrangeSite(persona: (typeof SITE_PERSONAS)[number]): Promise<{ headers: Record<string, string>; fixture: SiteFixture }> {
  const org = await makeOrg(t.ctx);
  const owner = await makeUser(t.ctx);
  const root = await makeUser(t.ctx, { siteAdmin: true });
  await addMember(t.ctx, org, owner, 'owner');
  // An admin there, so the token's keyward:admin stays backed: only the site-admin part is refused.
  await addMember(t.ctx, org, root, 'admin');
  const fixture = { orgId: org.id };
  if (persona === 'site admin') return { headers: await signIn(t.app, root), fixture };
  if (persona === 'org owner') return { headers: await signIn(t.app, owner), fixture };
  const scopes = ['keyward:admin', 'keyward:tokens:read', 'keyward:tokens:write', 'keyward:audit:read'];
  const { secret } = await makeToken(t.ctx, org, root, { ...(persona === "site admin's token with every keyward scope" ? {} : { impersonatedBy: owner }), scopes });
  return { headers: { authorization: `Bearer ${secret}` }, fixture };
}

describe('permission matrix of the site-admin routes', () => {
  for (const [row, call, expected] of SITE_MATRIX) {
    it(`${row} → ${expected.join(' ')}`, async () => {
      expect(await statusesOf(SITE_PERSONAS, arrangeSite, call)).toEqual(byPersona(SITE_PERSONAS, expected));
    });
  }
});
