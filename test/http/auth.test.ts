import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeToken, seedOrg } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

describe('presenting a token to the management API', () => {
  it('accepts Bearer with any case of the scheme, and X-API-Key', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { secret, id } = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:tokens:read'] });
    for (const headers of [{ authorization: `Bearer ${secret}` }, { authorization: `bEaReR ${secret}` }, { 'x-api-key': secret }]) {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers });
      expect(response.statusCode).toBe(200);
      expect(json(response).token.id).toBe(id);
    }
  });

  it('answers 400 invalid_request for two Authorization headers', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { secret } = await makeToken(t.ctx, org, member.user);
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: [`Bearer ${secret}`, `Bearer ${secret}`] as unknown as string },
    });
    expect(response.statusCode).toBe(400);
    expect(json(response).code).toBe('invalid_request');
  });

  it('answers 400 when Authorization and X-API-Key differ', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const a = await makeToken(t.ctx, org, member.user);
    const b = await makeToken(t.ctx, org, member.user);
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${a.secret}`, 'x-api-key': b.secret },
    });
    expect(response.statusCode).toBe(400);
  });

  it('answers 401 invalid_token with the RFC 6750 challenge for a bad token', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Bearer kw_nope' } });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="keyward", error="invalid_token", error_description="/);
    expect(json(response).code).toBe('invalid_token');
  });

  it('refuses X-API-Key where the org turned it off', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { policy: { accept_x_api_key: false } });
    const { secret } = await makeToken(t.ctx, org, member.user);
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': secret } });
    expect(response.statusCode).toBe(401);
    const bearer = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${secret}` } });
    expect(bearer.statusCode).toBe(200);
  });

  it('accepts a JWT bearer token', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { secret, id } = await makeToken(t.ctx, org, member.user, { kind: 'jwt' });
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${secret}` } });
    expect(response.statusCode).toBe(200);
    expect(json(response).token.id).toBe(id);
  });
});

describe('client addresses behind a proxy', () => {
  it('ignores X-Forwarded-For by default and believes it with KEYWARD_TRUST_PROXY', async () => {
    for (const [env, expected] of [
      [{}, '127.0.0.1'],
      [{ KEYWARD_TRUST_PROXY: '127.0.0.1/8' }, '203.0.113.9'],
    ] as const) {
      const app = await startTestApp({ env });
      const { org, member } = await seedOrg(app.app, app.ctx);
      const { secret } = await makeToken(app.ctx, org, member.user);
      const response = await app.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        remoteAddress: '127.0.0.1',
        headers: { authorization: `Bearer ${secret}`, 'x-forwarded-for': '203.0.113.9' },
      });
      expect(json(response).token.last_used_ip).toBe(expected);
      await app.close();
    }
  });
});
