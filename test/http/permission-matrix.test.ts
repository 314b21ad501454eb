import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeRole, makeUser, seedOrg, type SessionHeaders } from '../factories.js';
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
