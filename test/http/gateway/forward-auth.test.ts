import { afterEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

/**
 * `/auth/check` as gateways call it: the end user's token in Authorization, the original request
 * in the gateway's headers, the gateway trusted by address (inject comes from 127.0.0.1) or by
 * its verifier credential.
 */
let t: TestApp;
afterEach(() => t.close());

async function fixture(env: Record<string, string> = {}) {
  t = await startTestApp({ env });
  const org: Org = await makeOrg(t.ctx);
  const owner: User = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'member');
  const reader = await makeToken(t.ctx, org, owner, { scopes: ['devices:read'] });
  return { org, owner, reader };
}

const nginx = (method: string, uri: string, extra: Record<string, string> = {}) => ({ 'x-original-method': method, 'x-original-uri': uri, ...extra });
const check = (headers: Record<string, string>, method: 'GET' | 'POST' = 'GET', url = '/auth/check') => t.app.inject({ method, url, headers });

describe('forward auth', () => {
  it('lets a token with the route\'s scope through, naming the token, org, owner and scopes', async () => {
    const { org, owner, reader } = await fixture();
    const response = await check(nginx('GET', '/api/v1/devices?page=2', { authorization: `Bearer ${reader.secret}` }));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers).toMatchObject({ 'x-keyward-token-id': reader.id, 'x-keyward-org': org.id, 'x-keyward-subject': owner.id, 'x-keyward-scopes': 'devices:read', 'cache-control': 'no-store' });
  });

  it('reads Caddy and Traefik headers, and Envoy\'s method and path', async () => {
    const { reader } = await fixture();
    const auth = { authorization: `Bearer ${reader.secret}` };
    expect((await check({ 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/api/v1/devices/dev_1', ...auth }, 'POST')).statusCode).toBe(200);
    expect((await check(auth, 'GET', '/auth/check/api/v1/devices/dev_1')).statusCode).toBe(200);
    expect((await check(auth, 'POST', '/auth/check/api/v1/device-requests')).statusCode).toBe(403);
  });

  it('answers 401 with the RFC 6750 challenge for a missing, unknown or revoked token', async () => {
    const { reader } = await fixture();
    const missing = await check(nginx('GET', '/api/v1/devices'));
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="keyward"');
    const unknown = await check(nginx('GET', '/api/v1/devices', { authorization: 'Bearer kw_notatokenatall' }));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    await t.ctx.db.updateTable('tokens').set({ revoked_at: t.clock.now() }).where('id', '=', reader.id).execute();
    t.ctx.invalidate.token(reader.id);
    const revoked = await check(nginx('GET', '/api/v1/devices', { authorization: `Bearer ${reader.secret}` }));
    expect(revoked.statusCode).toBe(401);
    expect(json(revoked).detail).toMatch(/revoked/);
  });

  it('answers 403 insufficient_scope with the scope the route needs', async () => {
    const { reader } = await fixture();
    const response = await check(nginx('PATCH', '/api/v1/devices/dev_1', { authorization: `Bearer ${reader.secret}` }));
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward", error="insufficient_scope", scope="devices:write"');
    expect(json(response).code).toBe('insufficient_scope');
  });

  it.each([
    ['an unmatched route', '/api/v1/secrets'],
    ['a dot segment', '/api/v1/devices/../clients'],
    ['an encoded dot', '/api/v1/devices/%2e%2e/clients'],
    ['an encoded slash', '/api/v1/devices%2F1'],
    ['an empty segment', '/api/v1//devices'],
    ['a trailing slash', '/api/v1/devices/'],
    ['a backslash', '/api/v1/devices\\1'],
  ])('denies %s with 403, after authenticating the token', async (_what, uri) => {
    const { reader } = await fixture();
    expect((await check(nginx('GET', uri))).statusCode).toBe(401);
    const response = await check(nginx('GET', uri, { authorization: `Bearer ${reader.secret}` }));
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('forbidden');
  });

  it('refuses a gateway outside KEYWARD_FORWARD_AUTH_TRUSTED unless it sends a valid X-Keyward-Verifier', async () => {
    const { reader } = await fixture({ KEYWARD_FORWARD_AUTH_TRUSTED: '10.0.0.0/8' });
    const auth = { authorization: `Bearer ${reader.secret}` };
    const untrusted = await check(nginx('GET', '/api/v1/devices', auth));
    expect(untrusted.statusCode).toBe(403);
    expect(json(untrusted).detail).toMatch(/X-Keyward-Verifier/);
    expect((await check(nginx('GET', '/api/v1/devices', { ...auth, 'x-keyward-verifier': 'kwv_nonsense' }))).statusCode).toBe(403);
    const verifier = await makeVerifier(t.ctx);
    expect((await check(nginx('GET', '/api/v1/devices', { ...auth, 'x-keyward-verifier': verifier.secret }))).statusCode).toBe(200);
  });

  it('refuses a call that does not say which request it asks about, after authenticating the token', async () => {
    const { reader } = await fixture();
    expect((await check({})).statusCode).toBe(401);
    // A malformed credential is a 401 here, not the API's 400: nginx turns a 400 into a 500.
    const twice = { ...nginx('GET', '/api/v1/devices'), authorization: ['Bearer a', 'Bearer b'] } as unknown as Record<string, string>;
    const two = await t.app.inject({ method: 'GET', url: '/auth/check', headers: twice });
    expect(two.statusCode).toBe(401);
    const response = await check({ authorization: `Bearer ${reader.secret}` });
    expect(response.statusCode).toBe(403);
    expect(json(response).detail).toMatch(/X-Original-Method/);
  });

  it('uses the table of KEYWARD_ROUTES_FILE, and the client address the gateway forwards for IP allowlists', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'routes-')), 'routes.json');
    writeFileSync(file, JSON.stringify([{ method: 'GET', path: '/reports/*', scope: 'metrics:read' }]));
    const { org, owner } = await fixture({ KEYWARD_ROUTES_FILE: file });
    const token = await makeToken(t.ctx, org, owner, { scopes: ['metrics:read'], ipAllowlist: ['198.51.100.0/24'] });
    const auth = { authorization: `Bearer ${token.secret}` };
    expect((await check(nginx('GET', '/reports/2026/q4', { ...auth, 'x-forwarded-for': '198.51.100.7' }))).statusCode).toBe(200);
    expect((await check(nginx('GET', '/reports/2026/q4', { ...auth, 'x-forwarded-for': '203.0.113.9' }))).statusCode).toBe(401);
    expect((await check(nginx('GET', '/api/v1/devices', { ...auth, 'x-forwarded-for': '198.51.100.7' }))).statusCode).toBe(403);
  });
});
