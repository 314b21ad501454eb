import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { generateApiKey, verifierPrefix } from '../../src/core/token-format.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

/**
 * Issue 9, finding 13: failed authentications are limited per client address on every path that
 * takes a credential. Past the limit the address gets 429 `rate_limited` with `Retry-After`, before
 * its credential is looked at; only failures count, and other addresses are not affected.
 */
let t: TestApp;
let org: Org;
let owner: User;
let limit: number;
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx);
  owner = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'member');
  limit = t.ctx.limits.failedAuthByIp.limit;
});
afterEach(() => t.close());

const randomToken = () => generateApiKey(t.ctx.config.tokenPrefix);

function expectRateLimited(response: LightMyRequestResponse) {
  expect(response.statusCode, response.body).toBe(429);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(json(response).code).toBe('rate_limited');
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('the management API', () => {
  const me = (headers: Record<string, string>, remoteAddress = '203.0.113.7') => t.app.inject({ method: 'GET', url: '/api/v1/me', headers, remoteAddress });

  it('answers 429 once 300 random well-formed tokens from one client pass the limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) {
      const response = await me({ authorization: `Bearer ${randomToken()}` });
      statuses.push(response.statusCode);
      if (response.statusCode === 429) expectRateLimited(response);
    }
    expect(statuses.slice(0, limit).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(limit).every((s) => s === 429)).toBe(true);
  });

  it('refuses the blocked address before looking at the token: nothing is read or remembered for it', async () => {
    for (let i = 0; i < limit; i++) await me({ 'x-api-key': randomToken() });
    const unknownBefore = t.ctx.tokens.size.unknown;
    expectRateLimited(await me({ authorization: `Bearer ${randomToken()}` }));
    expect(t.ctx.tokens.size.unknown).toBe(unknownBefore);
    // Valid tokens from that address wait too: the limit is on the address, whatever it presents next.
    const valid = await makeToken(t.ctx, org, owner, { scopes: ['keyward:tokens:read'] });
    expectRateLimited(await me({ authorization: `Bearer ${valid.secret}` }));
    // Other clients are not affected, and the address may try again once the window is over.
    expect((await me({ authorization: `Bearer ${valid.secret}` }, '198.51.100.20')).statusCode).toBe(200);
    expect((await me({ authorization: `Bearer ${randomToken()}` }, '198.51.100.20')).statusCode).toBe(401);
    t.clock.advance(Number((await me({ authorization: `Bearer ${randomToken()}` })).headers['retry-after']) * 1000);
    expect((await me({ authorization: `Bearer ${valid.secret}` })).statusCode).toBe(200);
  });

  it('counts only failures: a valid token used many times from one address is never limited', async () => {
    const valid = await makeToken(t.ctx, org, owner, { scopes: ['keyward:tokens:read'] });
    for (let i = 0; i < limit * 2; i++) expect((await me({ authorization: `Bearer ${valid.secret}` })).statusCode).toBe(200);
    expect((await me({ authorization: `Bearer ${randomToken()}` })).statusCode).toBe(401);
  });

  it('counts revoked tokens and stale session cookies as failures, and an IPv6 client by its /64', async () => {
    const revoked = await makeToken(t.ctx, org, owner);
    await t.ctx.db.updateTable('tokens').set({ revoked_at: t.clock.now(), revoked_reason: 'manual' }).where('id', '=', revoked.id).execute();
    t.ctx.invalidate.token(revoked.id);
    for (let i = 0; i < limit; i++) {
      const headers: Record<string, string> = i % 2 ? { authorization: `Bearer ${revoked.secret}` } : { cookie: `kw_session=${'x'.repeat(43)}${i}` };
      expect((await me(headers, `2001:db8:5:6::${(i + 1).toString(16)}`)).statusCode).toBe(401);
    }
    expectRateLimited(await me({ authorization: `Bearer ${randomToken()}` }, '2001:db8:5:6:ffff::1'));
    expect((await me({ authorization: `Bearer ${randomToken()}` }, '2001:db8:5:7::1')).statusCode).toBe(401);
  });
});

describe('verifier credentials', () => {
  it('limits bad verifier credentials on /api/v1/verify, but not the tokens it is asked about', async () => {
    const verifier = await makeVerifier(t.ctx);
    const verify = (secret: string, token: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${secret}` }, payload: { token }, remoteAddress: '192.0.2.50' });
    // A resource server asking about many unknown tokens is doing its job: they are the end users' failures.
    for (let i = 0; i < limit + 10; i++) expect(json(await verify(verifier.secret, randomToken())).code).toBe('NOT_FOUND');
    for (let i = 0; i < limit; i++) expect((await verify(generateApiKey(verifierPrefix(t.ctx.config.tokenPrefix)), randomToken())).statusCode).toBe(401);
    expectRateLimited(await verify(generateApiKey(verifierPrefix(t.ctx.config.tokenPrefix)), randomToken()));
    expectRateLimited(await verify(verifier.secret, randomToken()));
  });

  it('limits bad client credentials on /oauth/introspect, keeping the 429 a 429', async () => {
    const verifier = await makeVerifier(t.ctx);
    const introspect = (secret: string) =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/introspect',
        headers: { authorization: `Basic ${Buffer.from(`${verifier.id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `token=${randomToken()}`,
        remoteAddress: '192.0.2.51',
      });
    for (let i = 0; i < limit; i++) expect(json(await introspect(generateApiKey('kwv'))).code).toBe('invalid_client');
    expectRateLimited(await introspect(generateApiKey('kwv')));
    expectRateLimited(await introspect(verifier.secret));
  });
});

describe('forward auth', () => {
  it("limits by the end client's address as the trusted gateway forwards it", async () => {
    const valid = await makeToken(t.ctx, org, owner, { scopes: ['devices:read'] });
    const check = (token: string, client: string) =>
      t.app.inject({
        method: 'GET',
        url: '/auth/check',
        headers: { authorization: `Bearer ${token}`, 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices', 'x-forwarded-for': client },
      });
    for (let i = 0; i < limit; i++) expect((await check(randomToken(), '198.51.100.7')).statusCode).toBe(401);
    const limited = await check(randomToken(), '198.51.100.7');
    expectRateLimited(limited);
    // Everyone else behind the same gateway goes on as before.
    expect((await check(randomToken(), '198.51.100.8')).statusCode).toBe(401);
    expect((await check(valid.secret, '198.51.100.8')).statusCode).toBe(200);
    // A valid token lacking a route's scope is not a failed authentication.
    for (let i = 0; i < limit + 5; i++) {
      const response = await t.app.inject({
        method: 'GET',
        url: '/auth/check',
        headers: { authorization: `Bearer ${valid.secret}`, 'x-original-method': 'PATCH', 'x-original-uri': '/api/v1/devices/dev_1', 'x-forwarded-for': '198.51.100.9' },
      });
      expect(response.statusCode).toBe(403);
    }
  });
});
