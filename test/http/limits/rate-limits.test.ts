import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeVerifier, seedOrg } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { bearer, createdToken, createToken, NEW_TOKEN, tokenAction } from '../tokens/helpers.js';
import { codes, problem, verifyAs } from './helpers.js';

/**
 * Rate limits per token (DESIGN §1 "Usage controls"): set at create or from the org's defaults,
 * refused when malformed (400, the field named) or over the deployment's bound (422), enforced on
 * verify (RATE_LIMITED) and as 429 with Retry-After and the RateLimit headers on the management API
 * and /auth/check, shared by a rotation's two halves, and neither spent nor enforced by introspection.
 */
let t: TestApp;
let seeded: Awaited<ReturnType<typeof seedOrg>>;
let verifier: { id: string; secret: string };
beforeEach(async () => {
  t = await startTestApp();
  seeded = await seedOrg(t.app, t.ctx);
  verifier = await makeVerifier(t.ctx);
});
afterEach(() => t.close());

const limited = (limit: number, window_seconds = 60, name = 'minute') => ({ ...NEW_TOKEN, rate_limits: [{ name, limit, window_seconds }] });

describe('setting rate limits', () => {
  it('shows the limits a token was created with, and the org default when it names none', async () => {
    const response = await createToken(t, seeded.member.headers, seeded.org.id, limited(100));
    expect(response.statusCode).toBe(201);
    expect(json(response).token.rate_limits).toEqual([{ name: 'minute', limit: 100, window_seconds: 60 }]);

    const defaults = [{ name: 'second', limit: 10, window_seconds: 1 }, { name: 'day', limit: 10_000, window_seconds: 86_400 }];
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${seeded.org.id}`, headers: seeded.owner.headers, payload: { token_policy: { default_rate_limits: defaults } } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(json(patched).token_policy.default_rate_limits).toEqual(defaults);
    const defaulted = json(await createToken(t, seeded.member.headers, seeded.org.id, NEW_TOKEN));
    expect(defaulted.token.rate_limits).toEqual(defaults);
    // An explicit empty list is a choice: no limits.
    expect(json(await createToken(t, seeded.member.headers, seeded.org.id, { ...NEW_TOKEN, rate_limits: [] })).token.rate_limits).toEqual([]);
  });

  it.each([
    ['a limit of 0', [{ name: 'a', limit: 0, window_seconds: 60 }], 'rate_limits.0.limit'],
    ['a negative limit', [{ name: 'a', limit: -5, window_seconds: 60 }], 'rate_limits.0.limit'],
    ['a window over a day', [{ name: 'a', limit: 5, window_seconds: 86_401 }], 'rate_limits.0.window_seconds'],
    ['a window of 0', [{ name: 'a', limit: 5, window_seconds: 0 }], 'rate_limits.0.window_seconds'],
    ['more than 5 limits', ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ name, limit: 5, window_seconds: 60 })), 'rate_limits'],
    ['duplicate names', [{ name: 'a', limit: 5, window_seconds: 60 }, { name: 'a', limit: 9, window_seconds: 3600 }], 'rate_limits.1.name'],
    ['a name with a quote', [{ name: 'a"b', limit: 5, window_seconds: 60 }], 'rate_limits.0.name'],
    ['a fractional limit', [{ name: 'a', limit: 1.5, window_seconds: 60 }], 'rate_limits.0.limit'],
  ])('refuses %s with 400 naming the field, and creates nothing', async (_what, rateLimits, field) => {
    const response = await createToken(t, seeded.member.headers, seeded.org.id, { ...NEW_TOKEN, rate_limits: rateLimits });
    expect(response.statusCode).toBe(400);
    expect(problem(response)).toMatchObject({ code: 'validation_failed', field });
    expect(await t.ctx.db.selectFrom('tokens').select('id').execute()).toEqual([]);
  });

  it("refuses a limit above the deployment's bound with 422, at create and as an org default", async () => {
    const over = [{ name: 'huge', limit: 100_000_001, window_seconds: 60 }];
    const create = await createToken(t, seeded.member.headers, seeded.org.id, { ...NEW_TOKEN, rate_limits: over });
    expect(create.statusCode).toBe(422);
    expect(problem(create)).toMatchObject({ code: 'bound_exceeded', field: 'rate_limits.0.limit' });
    const policy = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${seeded.org.id}`, headers: seeded.owner.headers, payload: { token_policy: { default_rate_limits: over } } });
    expect(policy.statusCode).toBe(422);
    expect(problem(policy)).toMatchObject({ code: 'bound_exceeded', field: 'default_rate_limits.0.limit' });
    const duplicate = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/orgs/${seeded.org.id}`,
      headers: seeded.owner.headers,
      payload: { token_policy: { default_rate_limits: [{ name: 'a', limit: 1, window_seconds: 1 }, { name: 'a', limit: 2, window_seconds: 2 }] } },
    });
    expect(duplicate.statusCode).toBe(400);
    expect(problem(duplicate)).toMatchObject({ field: 'default_rate_limits.1.name' });
    const org = json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${seeded.org.id}`, headers: seeded.owner.headers }));
    expect(org.token_policy.default_rate_limits).toEqual([]);
  });
});

describe('verify', () => {
  it('answers RATE_LIMITED over the limit, with when to retry and what is left, and VALID again once the window moved on', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, limited(3));
    const first = await verifyAs(t, verifier.secret, { token: token.secret });
    expect(first).toMatchObject({ valid: true, code: 'VALID', rate_limits: [{ name: 'minute', limit: 3, window_seconds: 60, remaining: 2 }] });
    expect(await codes(t, verifier.secret, { token: token.secret }, 3)).toEqual(['VALID', 'VALID', 'RATE_LIMITED']);
    const refused = await verifyAs(t, verifier.secret, { token: token.secret });
    expect(refused).toMatchObject({ valid: false, code: 'RATE_LIMITED', token: { id: token.id }, rate_limits: [{ remaining: 0 }] });
    expect(refused.retry_after_seconds).toBeGreaterThanOrEqual(59);
    expect(refused.retry_after_seconds).toBeLessThanOrEqual(62);
    t.clock.advance((refused.retry_after_seconds ?? 0) * 1000);
    expect((await verifyAs(t, verifier.secret, { token: token.secret })).code).toBe('VALID');
  });

  it('spends the cost the resource server names (0 spends nothing) and refuses a cost above 1000', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, limited(10));
    expect((await verifyAs(t, verifier.secret, { token: token.secret, cost: 7 })).rate_limits?.[0]?.remaining).toBe(3);
    expect((await verifyAs(t, verifier.secret, { token: token.secret, cost: 0 })).rate_limits?.[0]?.remaining).toBe(3);
    expect((await verifyAs(t, verifier.secret, { token: token.secret, cost: 4 })).code).toBe('RATE_LIMITED');
    expect((await verifyAs(t, verifier.secret, { token: token.secret, cost: 3 })).code).toBe('VALID');
    const tooDear = await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: bearer(verifier.secret), payload: { token: token.secret, cost: 1001 } });
    expect(tooDear.statusCode).toBe(400);
    expect(problem(tooDear)).toMatchObject({ field: 'cost' });
  });

  it('counts only uses that would otherwise be VALID: a missing scope spends nothing', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, limited(1));
    expect((await verifyAs(t, verifier.secret, { token: token.secret, scopes: ['devices:write'] })).code).toBe('INSUFFICIENT_SCOPE');
    expect((await verifyAs(t, verifier.secret, { token: token.secret })).code).toBe('VALID');
  });

  it('leaves a token without limits untouched: no counters in its answer', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id);
    const answers = await codes(t, verifier.secret, { token: token.secret }, 50);
    expect(new Set(answers)).toEqual(new Set(['VALID']));
    expect(await verifyAs(t, verifier.secret, { token: token.secret })).not.toHaveProperty('rate_limits');
  });

  it('applies every limit: the tightest decides', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, {
      ...NEW_TOKEN,
      rate_limits: [{ name: 'burst', limit: 2, window_seconds: 1 }, { name: 'hour', limit: 3, window_seconds: 3600 }],
    });
    expect(await codes(t, verifier.secret, { token: token.secret }, 3)).toEqual(['VALID', 'VALID', 'RATE_LIMITED']);
    t.clock.advance(1100);
    expect(await codes(t, verifier.secret, { token: token.secret }, 2)).toEqual(['VALID', 'RATE_LIMITED']);
    const refused = await verifyAs(t, verifier.secret, { token: token.secret });
    expect(refused.rate_limits?.map((l) => [l.name, l.remaining])).toEqual([['burst', 1], ['hour', 0]]);
    expect(refused.retry_after_seconds).toBeGreaterThan(3000);
  });

  it("shares one count between a rotated token and its successor through the grace period", async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, { ...limited(4), scopes: ['devices:read', 'keyward:tokens:write'] });
    expect(await codes(t, verifier.secret, { token: token.secret }, 2)).toEqual(['VALID', 'VALID']);
    const rotated = await tokenAction(t, seeded.member.headers, seeded.org.id, token.id, 'rotate', { grace_period_seconds: 3600 });
    expect(rotated.statusCode, rotated.body).toBe(201);
    const successor = json(rotated) as { token: { rate_limits: unknown }; secret: string };
    expect(successor.token.rate_limits).toEqual([{ name: 'minute', limit: 4, window_seconds: 60 }]);
    expect((await verifyAs(t, verifier.secret, { token: successor.secret })).code).toBe('VALID');
    expect((await verifyAs(t, verifier.secret, { token: token.secret })).code).toBe('VALID');
    expect((await verifyAs(t, verifier.secret, { token: successor.secret })).code).toBe('RATE_LIMITED');
    expect((await verifyAs(t, verifier.secret, { token: token.secret })).code).toBe('RATE_LIMITED');
  });
});

describe('the product side answers 429', () => {
  it('on the management API, with Retry-After and the RateLimit headers, and it is no failed authentication', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, { ...limited(2, 60, 'api'), scopes: ['keyward:tokens:read'] });
    const ok = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token.secret) });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['ratelimit-policy']).toBe('"api";q=2;w=60');
    expect(ok.headers.ratelimit).toMatch(/^"api";r=1;t=\d+$/);
    await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token.secret) });
    const refused = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token.secret) });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(problem(refused)).toMatchObject({ code: 'rate_limited' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(refused.headers['ratelimit-policy']).toBe('"api";q=2;w=60');
    expect(refused.headers.ratelimit).toMatch(/^"api";r=0;t=\d+$/);
    expect(refused.headers['www-authenticate']).toBeUndefined();
    // Hundreds of 429s later the address is not throttled as a credential guesser (100 failures/min would be).
    for (let i = 0; i < 120; i++) await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token.secret) });
    const other = await createdToken(t, seeded.member.headers, seeded.org.id, { ...NEW_TOKEN, name: 'other', scopes: ['keyward:tokens:read'] });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(other.secret) })).statusCode).toBe(200);
    const rejected = await t.ctx.db.selectFrom('audit_events').select('action').where('action', '=', 'token.rejected').execute();
    expect(rejected).toEqual([]);
  });

  it('at /auth/check for gateways, with the same headers', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, limited(1));
    const ask = () =>
      t.app.inject({ method: 'GET', url: '/auth/check', headers: { ...bearer(token.secret), 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices' } });
    const ok = await ask();
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.ratelimit).toMatch(/^"minute";r=0;t=\d+$/);
    const refused = await ask();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.headers['ratelimit-policy']).toBe('"minute";q=1;w=60');
  });

  it('but introspection neither spends nor enforces the limits: a token at its limit is still active', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, limited(1));
    const introspect = async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/oauth/introspect',
        headers: { authorization: `Basic ${Buffer.from(`${verifier.id}:${verifier.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `token=${encodeURIComponent(token.secret)}`,
      });
      return json<{ active: boolean }>(response).active;
    };
    expect(await introspect()).toBe(true);
    expect((await verifyAs(t, verifier.secret, { token: token.secret })).code).toBe('VALID');
    expect(await introspect()).toBe(true);
    expect((await verifyAs(t, verifier.secret, { token: token.secret })).code).toBe('RATE_LIMITED');
  });
});
