import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeOrg, makeToken, makeUser } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

describe('GET /.well-known/jwks.json', () => {
  it('publishes the Ed25519 public keys only, with no private member', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    const { keys } = json<{ keys: Record<string, string>[] }>(response);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      expect(key.kid).toEqual(expect.any(String));
      expect(key).not.toHaveProperty('d');
    }
    expect(response.body).not.toMatch(/"d"\s*:/);
  });

  it('verifies a Keyward JWT offline, as a resource server would', async () => {
    const org = await makeOrg(t.ctx);
    const user = await makeUser(t.ctx);
    await addMember(t.ctx, org, user);
    const { secret, id } = await makeToken(t.ctx, org, user, { kind: 'jwt' });
    const jwks = createLocalJWKSet(json(await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })));
    const { payload, protectedHeader } = await jwtVerify(secret, jwks, {
      issuer: 'http://keyward.test',
      typ: 'at+jwt',
      currentDate: new Date(t.clock.now()),
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload).toMatchObject({ jti: id, sub: user.id, org: org.id, scope: 'devices:read' });
  });
});

describe('the OpenAPI document', () => {
  it('describes verify, verifiers and the JWKS, verify with the verifier credential scheme', async () => {
    const doc = json(await t.app.inject({ method: 'GET', url: '/openapi.json' }));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/verify', '/api/v1/verifiers', '/api/v1/verifiers/{id}', '/.well-known/jwks.json']),
    );
    expect(doc.paths['/api/v1/verify'].post.security).toEqual([{ verifierAuth: [] }]);
  });
});
