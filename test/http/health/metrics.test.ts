import { afterEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../../src/core/token-format.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier } from '../../factories.js';
import { startTestApp, type TestApp } from '../../harness.js';

/** GET /metrics in Prometheus' text format, counting what the verify path and the caches did. */
let t: TestApp;
afterEach(() => t.close());

/** The value of one sample line, e.g. `keyward_verifications_total{code="VALID"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('counts verifications by code, cache lookups and invalidations', async () => {
    t = await startTestApp();
    const org = await makeOrg(t.ctx);
    const owner = await makeUser(t.ctx);
    await addMember(t.ctx, org, owner, 'member');
    const token = await makeToken(t.ctx, org, owner);
    const verifier = (await makeVerifier(t.ctx)).secret;
    const verify = (secret: string) => t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifier}` }, payload: { token: secret } });
    await verify(token.secret); // a miss, then cached
    await verify(token.secret); // a hit
    const unknown = generateApiKey('kw');
    await verify(unknown);
    await verify(unknown); // a known unknown
    await verify('kw_malformed');
    t.ctx.invalidate.token(token.id);

    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body;
    expect(sample(text, 'keyward_verifications_total{code="VALID"}')).toBe(2);
    expect(sample(text, 'keyward_verifications_total{code="NOT_FOUND"}')).toBe(2);
    expect(sample(text, 'keyward_verifications_total{code="MALFORMED"}')).toBe(1);
    expect(sample(text, 'keyward_token_cache_lookups_total{result="hit"}')).toBe(1);
    expect(sample(text, 'keyward_token_cache_lookups_total{result="unknown"}')).toBe(1);
    // The verifier's own credential is not a token lookup: two misses, the token's and the unknown one's.
    expect(sample(text, 'keyward_token_cache_lookups_total{result="miss"}')).toBe(2);
    expect(sample(text, 'keyward_invalidations_total{kind="token",origin="local"}')).toBe(1);
    expect(sample(text, 'keyward_token_cache_entries{cache="unknown"}')).toBe(1);
    expect(sample(text, 'keyward_invalidation_live')).toBe(1);
    expect(sample(text, 'keyward_usage_pending')).toBe(1);
  });

  it('is served only to the addresses of KEYWARD_METRICS_ALLOW', async () => {
    t = await startTestApp({ env: { KEYWARD_METRICS_ALLOW: '10.0.0.0/8' } });
    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
  });
});
