import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../../src/core/token-format.js';
import { addMember, makeOrg, makeRole, makeToken, makeUser, seedOrg, signIn } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { bearer, tokenAction } from '../tokens/helpers.js';
import { DAY, HOUR, nonEmpty, range, tokenBuckets, tokenUsage, verifier } from './helpers.js';

let t: TestApp;
let verify: Awaited<ReturnType<typeof verifier>>;
beforeEach(async () => {
  t = await startTestApp();
  verify = await verifier(t);
});
afterEach(() => t.close());

const day = (ms: number) => new Date(Math.floor(ms / DAY) * DAY).toISOString();

describe('GET /api/v1/orgs/{org}/tokens/{id}/usage', () => {
  it('counts every outcome of a known token by code, before and after the flush', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user, { ipAllowlist: ['192.0.2.0/24'] });
    for (let i = 0; i < 3; i++) expect(await verify({ token: secret, ip: '192.0.2.1' })).toBe('VALID');
    expect(await verify({ token: secret, ip: '192.0.2.1', scopes: ['billing:read'] })).toBe('INSUFFICIENT_SCOPE');
    expect(await verify({ token: secret, ip: '198.51.100.1' })).toBe('IP_NOT_ALLOWED');
    expect(await verify({ token: generateApiKey(t.ctx.config.tokenPrefix) })).toBe('NOT_FOUND');
    expect((await tokenAction(t, member.headers, org.id, id, 'revoke')).statusCode).toBe(200);
    expect(await verify({ token: secret, ip: '192.0.2.1' })).toBe('REVOKED');

    const expected = [{ bucket_start: day(t.clock.now()), codes: { VALID: 3, INSUFFICIENT_SCOPE: 1, IP_NOT_ALLOWED: 1, REVOKED: 1 } }];
    const pending = await tokenBuckets(t, member.headers, org.id, id);
    expect(pending).toHaveLength(30);
    expect(pending.at(-1)!.bucket_start).toBe(day(t.clock.now()));
    expect(nonEmpty(pending)).toEqual(expected);
    await t.ctx.usage.flush();
    expect(nonEmpty(await tokenBuckets(t, member.headers, org.id, id))).toEqual(expected);
    // Written once: the merge of unflushed counts does not count them twice.
    await t.ctx.usage.flush();
    expect(nonEmpty(await tokenBuckets(t, member.headers, org.id, id))).toEqual(expected);
  });

  it('counts an expired token as EXPIRED and its verifications by hour and by day across midnight', async () => {
    t.clock.advance(12 * HOUR + 30 * 60_000); // 22:30 UTC
    const start = t.clock.now();
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user, { expiresInDays: 1 });
    await verify({ token: secret });
    await verify({ token: secret });
    await t.ctx.usage.flush();
    t.clock.advance(HOUR); // 23:30
    await verify({ token: secret });
    t.clock.advance(HOUR); // 00:30 the next day, half of it not flushed
    await verify({ token: secret });
    await t.ctx.usage.flush();
    await verify({ token: secret, scopes: ['billing:read'] });
    t.clock.advance(DAY); // past its expiry
    expect(await verify({ token: secret })).toBe('EXPIRED');
    const headers = await signIn(t.app, member.user);
    const hourStart = start - 30 * 60_000;

    expect(nonEmpty(await tokenBuckets(t, headers, org.id, id, range('hour', hourStart, hourStart + 3 * HOUR)))).toEqual([
      { bucket_start: new Date(hourStart).toISOString(), codes: { VALID: 2 } },
      { bucket_start: new Date(hourStart + HOUR).toISOString(), codes: { VALID: 1 } },
      { bucket_start: new Date(hourStart + 2 * HOUR).toISOString(), codes: { VALID: 1, INSUFFICIENT_SCOPE: 1 } },
    ]);
    const days = await tokenBuckets(t, headers, org.id, id, range('day', Date.parse(day(start)), Date.parse(day(start)) + 3 * DAY));
    expect(days).toEqual([
      { bucket_start: day(start), codes: { VALID: 3 } },
      { bucket_start: day(start + DAY), codes: { VALID: 1, INSUFFICIENT_SCOPE: 1 } },
      { bucket_start: day(start + 2 * DAY), codes: { EXPIRED: 1 } },
    ]);
  });

  it('answers every bucket of the range in order, empty ones with no codes', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    await verify({ token: secret });
    const now = t.clock.now();
    const hours = await tokenBuckets(t, member.headers, org.id, id, range('hour', now - 2 * HOUR, now + 2 * HOUR));
    expect(hours).toEqual([-2, -1, 0, 1].map((h) => ({ bucket_start: new Date(now + h * HOUR).toISOString(), codes: h === 0 ? { VALID: 1 } : {} })));
    // A bucket belongs to the range when it starts in it: since 10:30 leaves out the 10:00 bucket.
    expect(await tokenBuckets(t, member.headers, org.id, id, range('hour', now + 30 * 60_000, now + 2 * HOUR))).toEqual([
      { bucket_start: new Date(now + HOUR).toISOString(), codes: {} },
    ]);
  });

  it.each([
    ['since after until', (now: number) => range('day', now, now - DAY), 'since'],
    ['since equal to until', (now: number) => range('hour', now, now), 'since'],
    ['more than 90 days of hours', (now: number) => range('hour', now - 90 * DAY - 1, now), 'since'],
    ['more than two years of days', (now: number) => range('day', now - 730 * DAY - 1, now), 'since'],
    ['an unknown granularity', () => '?granularity=week', 'granularity'],
    ['a since that is no date', () => '?since=yesterday', 'since'],
    ['an until without a zone', () => '?until=2026-01-15T10:00:00', 'until'],
    ['a leap second, which the format admits', () => '?until=2026-01-15T23:59:60Z', 'until'],
  ])('answers 400 validation_failed for %s', async (_what, query, field) => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id } = await makeToken(t.ctx, org, member.user);
    const response = await tokenUsage(t, member.headers, org.id, id, query(t.clock.now()));
    expect(response.statusCode).toBe(400);
    expect(json(response)).toMatchObject({ code: 'validation_failed', field });
  });

  it('accepts the longest ranges: 90 days of hours, two years of days', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id } = await makeToken(t.ctx, org, member.user);
    const now = t.clock.now();
    expect(await tokenBuckets(t, member.headers, org.id, id, range('hour', now - 90 * DAY, now))).toHaveLength(90 * 24);
    expect(await tokenBuckets(t, member.headers, org.id, id, range('day', now - 730 * DAY, now))).toHaveLength(730);
  });

  it("shows a token's usage to whoever may see the token, and 404 to anyone else", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const other = await makeUser(t.ctx);
    await addMember(t.ctx, org, other);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    const impersonation = await makeToken(t.ctx, org, member.user, { impersonatedBy: admin.user });
    await verify({ token: secret });
    await verify({ token: impersonation.secret });
    expect(nonEmpty(await tokenBuckets(t, admin.headers, org.id, id))[0]!.codes).toEqual({ VALID: 1 });
    expect(nonEmpty(await tokenBuckets(t, admin.headers, org.id, impersonation.id))[0]!.codes).toEqual({ VALID: 1 });
    const otherHeaders = await signIn(t.app, other);
    const managerOnly = await makeUser(t.ctx);
    await addMember(t.ctx, org, managerOnly, await makeRole(t.ctx, org, ['tokens.manage'], 'manager'));
    const managerHeaders = await signIn(t.app, managerOnly);
    for (const [headers, tokenId] of [
      [otherHeaders, id], // another member's token
      [member.headers, impersonation.id], // an impersonation token is invisible to the member it impersonates
      [managerHeaders, impersonation.id], // and to tokens.manage without tokens.impersonate
    ] as const) {
      const response = await tokenUsage(t, headers, org.id, tokenId, '?granularity=nonsense');
      // 404 before the query is validated: a caller who may not see the token learns nothing of it.
      expect(response.statusCode).toBe(404);
      expect(json(response).code).toBe('not_found');
    }
  });

  it("answers 404 for another org's token, whatever the caller's role there", async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const elsewhere = await seedOrg(t.app, t.ctx);
    const { id } = await makeToken(t.ctx, org, member.user);
    for (const path of [`/api/v1/orgs/${elsewhere.org.id}/tokens/${id}/usage`, `/api/v1/orgs/${org.id}/tokens/${id}/usage`]) {
      const response = await t.app.inject({ method: 'GET', url: path, headers: elsewhere.owner.headers });
      expect(response.statusCode).toBe(404);
    }
    const unknownOrg = await makeOrg(t.ctx);
    expect((await tokenUsage(t, member.headers, unknownOrg.id, id)).statusCode).toBe(404);
  });

  it('lets a token with keyward:tokens:read read its own usage, and answers 403 without the scope', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const reader = await makeToken(t.ctx, org, member.user, { scopes: ['keyward:tokens:read'] });
    const product = await makeToken(t.ctx, org, member.user, { scopes: ['devices:read'] });
    await verify({ token: product.secret });
    expect(nonEmpty(await tokenBuckets(t, bearer(reader.secret), org.id, product.id))[0]!.codes).toEqual({ VALID: 1 });
    const refused = await tokenUsage(t, bearer(product.secret), org.id, product.id);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['www-authenticate']).toContain('insufficient_scope');
  });
});
