import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser, PASSWORD, signIn, type SessionHeaders } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { ALL_KEYWARD_SCOPES, BARE_CHALLENGE, expectProblem, snapshot } from './attack-helpers.js';

/**
 * Cookie sessions, attacked: a state change with the cookie but without this session's CSRF
 * header is 403 forbidden whatever header it carries instead, and a cookie planted before sign-in
 * is never the session after it. (A missing header on every route: test/http/auth-order.test.ts.)
 */
let t: TestApp;
let org: Org;
let alice: User;
let bob: User;
let aliceSession: SessionHeaders;
let bobSession: SessionHeaders;
let target: { id: string; secret: string };
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx);
  [alice, bob] = [await makeUser(t.ctx), await makeUser(t.ctx)];
  await addMember(t.ctx, org, alice, 'owner');
  await addMember(t.ctx, org, bob, 'owner');
  aliceSession = await signIn(t.app, alice);
  bobSession = await signIn(t.app, bob);
  target = await makeToken(t.ctx, org, alice, { scopes: ['devices:read'] });
});
afterEach(() => t.close());

const FORBIDDEN = { status: 403, code: 'forbidden', challenge: null };
const TABLES = ['tokens', 'memberships', 'roles', 'orgs'] as const;

/** State-changing cookie requests of each kind: a JSON body, no body, a DELETE. */
const writes = () => [
  { method: 'POST' as const, url: `/api/v1/orgs/${org.id}/tokens`, payload: { name: 'csrf', scopes: ['devices:read'], expires_in_days: 30 } },
  { method: 'POST' as const, url: `/api/v1/orgs/${org.id}/tokens/${target.id}/revoke` },
  { method: 'PATCH' as const, url: `/api/v1/orgs/${org.id}`, payload: { name: 'csrf' } },
  { method: 'DELETE' as const, url: `/api/v1/orgs/${org.id}/members/${bob.id}` },
  { method: 'DELETE' as const, url: '/api/v1/session' },
];

describe('CSRF on cookie writes', () => {
  it.each([
    ['no header', () => ({})],
    ['an empty header', () => ({ 'x-csrf-token': '' })],
    ['a wrong header', () => ({ 'x-csrf-token': 'A'.repeat(43) })],
    ['the header of another session', () => ({ 'x-csrf-token': bobSession['x-csrf-token'] })],
    ['the session cookie itself as the header', () => ({ 'x-csrf-token': aliceSession.cookie.split(';')[0]!.split('=')[1]! })],
    ['the header in another case', () => ({ 'x-csrf-token': aliceSession['x-csrf-token'].toUpperCase() === aliceSession['x-csrf-token'] ? 'x' : aliceSession['x-csrf-token'].toUpperCase() })],
    ['the header twice, one right', () => ({ 'x-csrf-token': [aliceSession['x-csrf-token'], 'wrong'] })],
  ])('refuses %s with 403 forbidden and changes nothing', async (_label, header) => {
    const before = await snapshot(t.ctx, TABLES);
    for (const write of writes()) {
      const response = await t.app.inject({ ...write, headers: { cookie: aliceSession.cookie, ...header() } as Record<string, string> });
      expectProblem(response, FORBIDDEN, `${write.method} ${write.url}`);
    }
    expect(await snapshot(t.ctx, TABLES)).toBe(before);
    // Alice is still signed in: the refused sign-out did not happen either.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: aliceSession.cookie } })).statusCode).toBe(200);
  });

  it("refuses bob's CSRF cookie sent beside alice's session cookie, with bob's header", async () => {
    const bobCsrf = bobSession['x-csrf-token'];
    const cookie = `${aliceSession.cookie.split(';')[0]}; kw_csrf=${bobCsrf}`;
    const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: { cookie, 'x-csrf-token': bobCsrf }, payload: { name: 'csrf' } });
    expectProblem(response, FORBIDDEN);
  });

  it('takes the right header, so the refusals are about the header alone', async () => {
    const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: aliceSession, payload: { name: 'renamed' } });
    expect(response.statusCode).toBe(200);
  });

  it('needs no CSRF header on reads, and none with a token', async () => {
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens`, headers: { cookie: aliceSession.cookie } })).statusCode).toBe(200);
    const token = await makeToken(t.ctx, org, alice, { scopes: ALL_KEYWARD_SCOPES });
    const revoke = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${target.id}/revoke`, headers: { authorization: `Bearer ${token.secret}` } });
    expect(revoke.statusCode).toBe(200);
  });
});

describe('session fixation', () => {
  const cookieOf = (response: { cookies: unknown }, name: string) => (response.cookies as { name: string; value: string }[]).find((c) => c.name === name)?.value;
  const signInWith = (cookie: string) => t.app.inject({ method: 'POST', url: '/api/v1/session', headers: { cookie }, payload: { email: alice.email, password: PASSWORD } });

  it('issues a fresh session and CSRF cookie over a planted one, and the planted values open nothing', async () => {
    const planted = 'attacker-chosen-session-value-000000000000';
    const plantedCsrf = 'attacker-chosen-csrf-value';
    const response = await signInWith(`kw_session=${planted}; kw_csrf=${plantedCsrf}`);
    expect(response.statusCode).toBe(200);
    const session = cookieOf(response, 'kw_session')!;
    const csrf = cookieOf(response, 'kw_csrf')!;
    expect(session).toBeDefined();
    expect(session).not.toBe(planted);
    expect(csrf).not.toBe(plantedCsrf);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `kw_session=${planted}` } });
    expectProblem(me, { status: 401, code: 'unauthenticated', challenge: BARE_CHALLENGE });
    // The new session does not take the planted CSRF value either.
    const write = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: { cookie: `kw_session=${session}`, 'x-csrf-token': plantedCsrf }, payload: { name: 'x' } });
    expectProblem(write, FORBIDDEN);
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: { cookie: `kw_session=${session}`, 'x-csrf-token': csrf }, payload: { name: 'x' } })).statusCode).toBe(200);
  });

  it("does not let an attacker's own valid session, planted in the browser, become the victim's", async () => {
    const attacker = await makeUser(t.ctx);
    const attackerSession = await signIn(t.app, attacker);
    const plantedValue = attackerSession.cookie.split(';')[0]!.split('=')[1]!;
    const response = await signInWith(attackerSession.cookie);
    const session = cookieOf(response, 'kw_session')!;
    expect(session).not.toBe(plantedValue);
    // The planted session is over, and it never became alice's.
    const planted = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `kw_session=${plantedValue}` } });
    expect(planted.statusCode).toBe(401);
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `kw_session=${session}` } })).user.id).toBe(alice.id);
  });

  it('answers a session cookie that is not one issued, however it looks, with 401 and no 500', async () => {
    for (const value of ['', 'x', 'a'.repeat(4000), '%00', '"quoted"', 'kw_session', '../../etc/passwd', "' OR 1=1 --"]) {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `kw_session=${value}` } });
      expect(response.statusCode, value).toBe(401);
    }
  });
});
