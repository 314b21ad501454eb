import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeSignedInUser, makeToken, makeUser, makeVerifier, type SessionHeaders } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

/**
 * Issue 9, finding 11 (DESIGN §3, RFC 6750 §2): a token in the query string or the body
 * (`access_token`) is never read. Beside a credential in the headers it is a second method, 400
 * invalid_request; alone it is 401 like a missing token. On every path that takes a token.
 */
let t: TestApp;
let org: Org;
let owner: User;
let session: { user: User; headers: SessionHeaders };
let a: { id: string; secret: string };
let b: { id: string; secret: string };
let verifier: { id: string; secret: string };
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx);
  owner = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'owner');
  session = await makeSignedInUser(t.app, t.ctx);
  await addMember(t.ctx, org, session.user, 'member');
  a = await makeToken(t.ctx, org, owner, { scopes: ['devices:read', 'keyward:tokens:read', 'keyward:tokens:write'] });
  b = await makeToken(t.ctx, org, owner, { scopes: ['devices:read', 'keyward:tokens:read', 'keyward:tokens:write'] });
  verifier = await makeVerifier(t.ctx);
});
afterEach(() => t.close());

const BARE_CHALLENGE = 'Bearer realm="keyward"';

function expectInvalidRequest(response: { statusCode: number; body: string; headers: Record<string, unknown> }) {
  expect(response.statusCode, response.body).toBe(400);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(json(response as never).code).toBe('invalid_request');
  expect(response.headers['www-authenticate']).toMatch(/error="invalid_request"/);
}

describe('the management API', () => {
  it.each([
    ['?access_token=B', (s: string) => `?access_token=${s}`],
    ['a percent-encoded name', (s: string) => `?access%5Ftoken=${s}`],
    ['among other parameters', (s: string) => `?x=1&access_token=${s}&y=2`],
  ])('answers 400 invalid_request for Authorization: Bearer A plus %s', async (_what, query) => {
    expectInvalidRequest(await t.app.inject({ method: 'GET', url: `/api/v1/me${query(b.secret)}`, headers: { authorization: `Bearer ${a.secret}` } }));
  });

  it('answers 400 for X-API-Key, and for a session cookie, beside a token in the query string', async () => {
    expectInvalidRequest(await t.app.inject({ method: 'GET', url: `/api/v1/me?access_token=${b.secret}`, headers: { 'x-api-key': a.secret } }));
    expectInvalidRequest(await t.app.inject({ method: 'GET', url: `/api/v1/me?access_token=${b.secret}`, headers: session.headers }));
  });

  it('answers a token in the query string alone like a missing token: 401 with the bare challenge', async () => {
    for (const url of [`/api/v1/me?access_token=${a.secret}`, `/api/v1/orgs/${org.id}/tokens?access_token=${a.secret}`]) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe(BARE_CHALLENGE);
      expect(json(response).code).toBe('unauthenticated');
    }
  });

  it('answers 400 for access_token in a JSON body beside the header, whatever the route validates, and 401 without the header', async () => {
    const body = { name: 'ci', scopes: ['devices:read'], expires_in_days: 30, access_token: b.secret };
    const withHeader = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: { authorization: `Bearer ${a.secret}` }, payload: body });
    expectInvalidRequest(withHeader);
    const rename = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}/tokens/${a.id}`, headers: session.headers, payload: { name: 'x', access_token: b.secret } });
    expectInvalidRequest(rename);
    const alone = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, payload: body });
    expect(alone.statusCode).toBe(401);
    expect(alone.headers['www-authenticate']).toBe(BARE_CHALLENGE);
    // Nothing was created by either.
    expect(await t.ctx.db.selectFrom('tokens').select('id').execute()).toHaveLength(2);
  });

  it('still takes the header alone, and a query string without a token', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${a.secret}` } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens?limit=5`, headers: { authorization: `Bearer ${a.secret}` } })).statusCode).toBe(200);
  });
});

describe('POST /api/v1/verify', () => {
  const verify = (url: string, headers: Record<string, string>, payload: object) => t.app.inject({ method: 'POST', url, headers, payload });

  it('answers 400 for the verifier credential plus access_token in the query string or the body', async () => {
    const auth = { authorization: `Bearer ${verifier.secret}` };
    expectInvalidRequest(await verify(`/api/v1/verify?access_token=${verifier.secret}`, auth, { token: a.secret }));
    expectInvalidRequest(await verify('/api/v1/verify', auth, { token: a.secret, access_token: verifier.secret }));
    expect(json(await verify('/api/v1/verify', auth, { token: a.secret }))).toMatchObject({ valid: true, code: 'VALID' });
  });

  it('answers a verifier credential in the query string alone with 401', async () => {
    const response = await verify(`/api/v1/verify?access_token=${verifier.secret}`, {}, { token: a.secret });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe(BARE_CHALLENGE);
  });
});

describe('GET /auth/check', () => {
  const check = (headers: Record<string, string>, url = '/auth/check') => t.app.inject({ method: 'GET', url, headers });
  const bearerA = () => ({ authorization: `Bearer ${a.secret}` });

  it("refuses the end user's header plus access_token in the forwarded URI (nginx, Caddy/Traefik, Envoy), with a 401 nginx passes on", async () => {
    const refused = [
      await check({ ...bearerA(), 'x-original-method': 'GET', 'x-original-uri': `/api/v1/devices?access_token=${b.secret}` }),
      await check({ ...bearerA(), 'x-forwarded-method': 'GET', 'x-forwarded-uri': `/api/v1/devices?page=2&access_token=${b.secret}` }),
      await check(bearerA(), `/auth/check/api/v1/devices?access_token=${b.secret}`),
      await check({ ...bearerA(), 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices' }, `/auth/check?access_token=${b.secret}`),
    ];
    for (const response of refused) {
      // nginx's auth_request turns anything but 2xx, 401 and 403 into a 500: a second credential is a bad token here.
      expect(response.statusCode, response.body).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      expect(json(response).detail).toMatch(/access_token/);
      expect(response.headers['x-keyward-token-id']).toBeUndefined();
    }
  });

  it('answers access_token in the forwarded URI alone like a missing token', async () => {
    const response = await check({ 'x-original-method': 'GET', 'x-original-uri': `/api/v1/devices?access_token=${a.secret}` });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe(BARE_CHALLENGE);
  });

  it('lets the header alone through, query string and all', async () => {
    const response = await check({ ...bearerA(), 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices?page=2' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-keyward-token-id']).toBe(a.id);
  });
});

describe('OAuth introspection and revocation', () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const basic = () => ({ authorization: `Basic ${Buffer.from(`${verifier.id}:${verifier.secret}`).toString('base64')}` });
  const revoked = async (id: string) => (await t.ctx.db.selectFrom('tokens').select('revoked_at').where('id', '=', id).executeTakeFirstOrThrow()).revoked_at !== null;

  it('refuses a token in the URL of /oauth/revoke, and access_token beside the form token, revoking nothing', async () => {
    expectInvalidRequest(await t.app.inject({ method: 'POST', url: `/oauth/revoke?token=${a.secret}`, headers: form, payload: `token=${b.secret}` }));
    expectInvalidRequest(await t.app.inject({ method: 'POST', url: `/oauth/revoke?access_token=${a.secret}`, headers: form, payload: `token=${b.secret}` }));
    expectInvalidRequest(await t.app.inject({ method: 'POST', url: '/oauth/revoke', headers: form, payload: `token=${b.secret}&access_token=${a.secret}` }));
    expect(await revoked(a.id)).toBe(false);
    expect(await revoked(b.id)).toBe(false);
    expect((await t.app.inject({ method: 'POST', url: '/oauth/revoke', headers: form, payload: `token=${b.secret}` })).statusCode).toBe(200);
    expect(await revoked(b.id)).toBe(true);
  });

  it('refuses a token in the URL of /oauth/introspect beside the client credential, and answers 401 without one', async () => {
    expectInvalidRequest(await t.app.inject({ method: 'POST', url: `/oauth/introspect?token=${a.secret}`, headers: { ...form, ...basic() }, payload: `token=${a.secret}` }));
    expectInvalidRequest(await t.app.inject({ method: 'POST', url: '/oauth/introspect', headers: { ...form, ...basic() }, payload: `token=${a.secret}&access_token=${b.secret}` }));
    const alone = await t.app.inject({ method: 'POST', url: `/oauth/introspect?access_token=${a.secret}`, headers: form, payload: `token=${a.secret}` });
    expect(alone.statusCode).toBe(401);
    expect(json(alone).code).toBe('invalid_client');
  });
});

describe('the log', () => {
  it('never holds a token sent in the URL', async () => {
    await t.app.inject({ method: 'GET', url: `/api/v1/me?access_token=${b.secret}`, headers: { authorization: `Bearer ${a.secret}` } });
    await t.app.inject({ method: 'GET', url: `/api/v1/me?access_token=${b.secret}` });
    await t.app.inject({ method: 'POST', url: `/oauth/revoke?token=${b.secret}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'token=x' });
    const log = t.logs.join('\n');
    expect(log).not.toContain(b.secret);
    expect(log).not.toContain(b.secret.slice(3));
  });
});
