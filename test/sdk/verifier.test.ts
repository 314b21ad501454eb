import { createVerifier, type Verifier } from '@keyward/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeToken } from '../factories.js';
import { startKeyward, within, type Keyward } from './keyward.js';

/**
 * The SDK's verifier against a real Keyward server: answers are reused only while the revocation
 * feed is live, a revoked token stops working through the SDK within a second, and a feed outage
 * makes every call ask Keyward.
 */
let k: Keyward;
let verifier: Verifier;

beforeAll(async () => {
  k = await startKeyward();
});
afterAll(async () => {
  await k?.close();
});

async function connected(options: Partial<Parameters<typeof createVerifier>[0]> = {}): Promise<Verifier> {
  verifier = createVerifier({ url: k.url, verifierSecret: k.verifier.secret, issuer: 'http://keyward.test', ...options });
  await within(2000, () => verifier.feedLive);
  return verifier;
}

afterEach(() => verifier?.close());

describe('createVerifier', () => {
  it('answers what Keyward answers, and reuses a VALID answer while the feed is live', async () => {
    const v = await connected();
    const { id, secret } = await k.token({ scopes: ['devices:read', 'clients:read'] });
    const before = k.proxy.verifyCalls();
    const first = await v.verify(secret, { scopes: ['devices:read'] });
    expect(first).toMatchObject({ valid: true, code: 'VALID', token: { id, org_id: k.org.id, owner: { type: 'user', id: k.owner.id }, kind: 'api_key' } });
    expect(await v.verify(secret, { scopes: ['clients:read'] })).toMatchObject({ valid: true, code: 'VALID' });
    // A scope the cached token lacks is answered from the cache too, as Keyward would.
    expect(await v.verify(secret, { scopes: ['billing:read'] })).toMatchObject({ valid: false, code: 'INSUFFICIENT_SCOPE', missing_scopes: ['billing:read'] });
    expect(k.proxy.verifyCalls() - before).toBe(1);
  });

  it('never caches a refusal: an unknown token asks every time', async () => {
    const v = await connected();
    const before = k.proxy.verifyCalls();
    expect(await v.verify('kw_not_a_token')).toMatchObject({ valid: false, code: 'MALFORMED' });
    expect(await v.verify('kw_not_a_token')).toMatchObject({ valid: false, code: 'MALFORMED' });
    expect(k.proxy.verifyCalls() - before).toBe(2);
  });

  it('drops a revoked token within a second of the revocation', async () => {
    const v = await connected();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { id, secret } = await k.token();
      expect((await v.verify(secret)).code).toBe('VALID');
      const calls = k.proxy.verifyCalls();
      expect((await v.verify(secret)).code).toBe('VALID');
      expect(k.proxy.verifyCalls()).toBe(calls); // the second answer came from the cache
      await k.revoke(id);
      delays.push(await within(1000, async () => (await v.verify(secret)).code === 'REVOKED'));
    }
    expect(Math.max(...delays)).toBeLessThan(1000);
  });

  it('verifies JWTs offline against the JWKS, and still honours the revocation feed', async () => {
    const v = await connected();
    const { id, secret } = await k.token({ kind: 'jwt', scopes: ['devices:read'] });
    await v.verify(secret); // fetches the JWKS
    const calls = k.proxy.verifyCalls();
    expect(await v.verify(secret, { scopes: ['devices:read'] })).toMatchObject({ valid: true, code: 'VALID', token: { id, kind: 'jwt', org_id: k.org.id } });
    expect(await v.verify(secret, { scopes: ['devices:write'] })).toMatchObject({ code: 'INSUFFICIENT_SCOPE', missing_scopes: ['devices:write'] });
    expect(k.proxy.verifyCalls()).toBe(calls);
    await k.revoke(id);
    expect(await within(1000, async () => (await v.verify(secret)).code === 'REVOKED')).toBeLessThan(1000);
  });

  it('asks online about a JWT revoked before it connected, and about IP-restricted JWTs', async () => {
    const revoked = await k.token({ kind: 'jwt' });
    await k.revoke(revoked.id);
    const restricted = await k.token({ kind: 'jwt', ipAllowlist: ['10.0.0.0/8'] });
    const v = await connected();
    expect((await v.verify(revoked.secret)).code).toBe('REVOKED');
    expect((await v.verify(restricted.secret, { ip: '192.0.2.1' })).code).toBe('IP_NOT_ALLOWED');
    expect((await v.verify(restricted.secret, { ip: '10.1.2.3' })).code).toBe('VALID');
  });

  it("never answers a limited token from its cache or offline: Keyward counts every use", async () => {
    const v = await connected();
    const key = await k.token({ rateLimits: [{ name: 'minute', limit: 3, window_seconds: 60 }] });
    const jwt = await k.token({ kind: 'jwt', usageLimit: { remaining: 2, refill: null } });
    const before = k.proxy.verifyCalls();
    const keyCodes = [];
    for (let i = 0; i < 4; i++) keyCodes.push((await v.verify(key.secret, { scopes: ['devices:read'] })).code);
    expect(keyCodes).toEqual(['VALID', 'VALID', 'VALID', 'RATE_LIMITED']);
    const jwtCodes = [];
    for (let i = 0; i < 3; i++) jwtCodes.push((await v.verify(jwt.secret)).code);
    expect(jwtCodes).toEqual(['VALID', 'VALID', 'USAGE_EXCEEDED']);
    expect(k.proxy.verifyCalls() - before).toBe(7);
  });

  it('takes a JWT online once credits are set on it after it was signed', async () => {
    const v = await connected();
    const jwt = await k.token({ kind: 'jwt' });
    const before = k.proxy.verifyCalls();
    expect((await v.verify(jwt.secret)).code).toBe('VALID');
    expect(k.proxy.verifyCalls() - before).toBe(0);
    const manager = await makeToken(k.t.ctx, k.org, k.owner, { scopes: ['keyward:tokens:write'] });
    const patched = await k.t.app.inject({
      method: 'PATCH',
      url: `/api/v1/orgs/${k.org.id}/tokens/${jwt.id}`,
      headers: { authorization: `Bearer ${manager.secret}` },
      payload: { usage_limit: { remaining: 1 } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    // The feed names the token within a second; from then on every verify asks Keyward, which counts.
    await within(1000, async () => (await v.verify(jwt.secret)).code === 'USAGE_EXCEEDED');
    expect(k.proxy.verifyCalls() - before).toBeGreaterThanOrEqual(2);
  });

  it('rejects a forged JWT offline without trusting it', async () => {
    const v = await connected();
    const { secret } = await k.token({ kind: 'jwt' });
    const [header, payload] = secret.split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(64).toString('base64url')}`;
    expect((await v.verify(forged)).valid).toBe(false);
  });

  it('caches nothing while the feed is down, and trusts its cache again once it is back', async () => {
    const v = await connected();
    const cached = await k.token();
    expect((await v.verify(cached.secret)).code).toBe('VALID');
    k.proxy.cutFeed();
    try {
      // The stream hangs without closing: silence past three heartbeats is enough.
      await within(1000, () => !v.feedLive);
      const calls = k.proxy.verifyCalls();
      expect((await v.verify(cached.secret)).code).toBe('VALID');
      expect((await v.verify(cached.secret)).code).toBe('VALID');
      expect(k.proxy.verifyCalls() - calls).toBe(2);
      // A revocation the feed cannot announce is seen at once.
      await k.revoke(cached.id);
      expect((await v.verify(cached.secret)).code).toBe('REVOKED');
    } finally {
      k.proxy.restoreFeed();
    }
    await within(6000, () => v.feedLive);
    const fresh = await k.token();
    await v.verify(fresh.secret);
    const calls = k.proxy.verifyCalls();
    expect((await v.verify(fresh.secret)).code).toBe('VALID');
    expect(k.proxy.verifyCalls()).toBe(calls);
  });

  it('fails closed when Keyward cannot be reached', async () => {
    const v = createVerifier({ url: 'http://127.0.0.1:9', verifierSecret: k.verifier.secret, timeoutMs: 1000 });
    try {
      await expect(v.verify('kw_whatever')).rejects.toThrow(/Keyward did not answer/);
      expect(v.feedLive).toBe(false);
    } finally {
      v.close();
    }
  });
});
