import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeContext, createContext } from '../../../src/runtime.js';
import { verifyToken } from '../../../src/services/verification.js';
import { findTokenById } from '../../../src/store/tokens.js';
import { makeVerifier, seedOrg } from '../../factories.js';
import { FakeClock, json, startTestApp, type TestApp } from '../../harness.js';
import { bearer, createdToken, createToken, NEW_TOKEN } from '../tokens/helpers.js';
import { codes, problem, verifyAs } from './helpers.js';

/**
 * Usage credits (DESIGN §1): each VALID verify spends its cost; at 0 the code is USAGE_EXCEEDED
 * until a refill (midnight UTC, or the 1st of the month) sets them back; `PATCH {usage_limit}` by
 * tokens.manage holders, audited; counts reach the store in batches and survive a restart.
 */
let t: TestApp;
let seeded: Awaited<ReturnType<typeof seedOrg>>;
let verifier: { id: string; secret: string };
beforeEach(async () => {
  // 2026-01-31 23:00 UTC: an hour to midnight and to the 1st of February.
  t = await startTestApp({ clock: new FakeClock(Date.parse('2026-01-31T23:00:00Z')) });
  seeded = await seedOrg(t.app, t.ctx);
  verifier = await makeVerifier(t.ctx);
});
afterEach(() => t.close());

const withCredits = (usage_limit: unknown) => ({ ...NEW_TOKEN, usage_limit });
const tokenOf = async (id: string) => json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${seeded.org.id}/tokens/${id}`, headers: seeded.admin.headers }));
const patch = (id: string, headers: Record<string, string>, payload: unknown) => t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${seeded.org.id}/tokens/${id}`, headers, payload: payload as object });

describe('credits', () => {
  it('are spent by VALID verifies only, down to USAGE_EXCEEDED, with no retry time when nothing refills them', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, withCredits({ remaining: 3 }));
    expect((await tokenOf(token.id)).usage_limit).toEqual({ remaining: 3, refill: null });
    expect((await verifyAs(t, verifier.secret, { token: token.secret, scopes: ['devices:write'] })).code).toBe('INSUFFICIENT_SCOPE');
    expect((await verifyAs(t, verifier.secret, { token: token.secret, cost: 2 })).usage_remaining).toBe(1);
    expect((await verifyAs(t, verifier.secret, { token: token.secret, cost: 2 })).code).toBe('USAGE_EXCEEDED');
    expect((await verifyAs(t, verifier.secret, { token: token.secret })).code).toBe('VALID');
    const exceeded = await verifyAs(t, verifier.secret, { token: token.secret });
    expect(exceeded).toMatchObject({ valid: false, code: 'USAGE_EXCEEDED', usage_remaining: 0, token: { id: token.id } });
    expect(exceeded).not.toHaveProperty('retry_after_seconds');
    expect((await tokenOf(token.id)).usage_limit).toEqual({ remaining: 0, refill: null });
  });

  it('refill at midnight UTC for a daily refill, and on the 1st for a monthly one', async () => {
    const daily = await createdToken(t, seeded.member.headers, seeded.org.id, withCredits({ remaining: 1, refill: { amount: 5, interval: 'day' } }));
    const monthly = await createdToken(t, seeded.member.headers, seeded.org.id, { ...withCredits({ remaining: 1, refill: { amount: 2, interval: 'month' } }), name: 'monthly' });
    for (const token of [daily, monthly]) expect(await codes(t, verifier.secret, { token: token.secret }, 2)).toEqual(['VALID', 'USAGE_EXCEEDED']);
    expect((await verifyAs(t, verifier.secret, { token: daily.secret })).retry_after_seconds).toBe(3600);
    t.clock.advance(3600 * 1000);
    // 2026-02-01 00:00: a new day and a new month.
    expect((await verifyAs(t, verifier.secret, { token: daily.secret })).usage_remaining).toBe(4);
    expect((await verifyAs(t, verifier.secret, { token: monthly.secret })).usage_remaining).toBe(1);
    expect((await tokenOf(daily.id)).usage_limit).toEqual({ remaining: 4, refill: { amount: 5, interval: 'day' } });
    t.clock.advanceDays(1);
    expect((await verifyAs(t, verifier.secret, { token: daily.secret })).usage_remaining).toBe(4);
    expect(await codes(t, verifier.secret, { token: monthly.secret }, 2)).toEqual(['VALID', 'USAGE_EXCEEDED']);
    const waiting = await verifyAs(t, verifier.secret, { token: monthly.secret });
    // Until 2026-03-01 00:00 from 2026-02-02 00:00: 27 days.
    expect(waiting.retry_after_seconds).toBe(27 * 86_400);
  });

  it('answer 429 usage_exceeded on the management API', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, { ...withCredits({ remaining: 1 }), scopes: ['keyward:tokens:read'] });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token.secret) })).statusCode).toBe(200);
    const refused = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token.secret) });
    expect(refused.statusCode).toBe(429);
    expect(problem(refused)).toMatchObject({ code: 'usage_exceeded' });
    expect(refused.headers['retry-after']).toBeUndefined();
  });

  it('reach the store in batches and carry on from there after a restart', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, withCredits({ remaining: 10 }));
    await codes(t, verifier.secret, { token: token.secret }, 4);
    expect((await findTokenById(t.ctx.db, seeded.org.id, token.id))?.usageRemaining).toBe(10);
    await t.ctx.credits.flush();
    expect((await findTokenById(t.ctx.db, seeded.org.id, token.id))?.usageRemaining).toBe(6);
    // A second process on the same store (a restart) starts from the stored count.
    const restarted = await createContext(t.ctx.config, { clock: t.clock });
    try {
      const result = await verifyToken(restarted, { secret: token.secret, cost: 6 });
      expect(result.code).toBe('VALID');
      expect((await verifyToken(restarted, { secret: token.secret })).code).toBe('USAGE_EXCEEDED');
    } finally {
      await closeContext(restarted);
    }
    // Its close wrote 0; this process's older count of 6 cannot raise it again.
    await codes(t, verifier.secret, { token: token.secret }, 1);
    await t.ctx.credits.flush();
    expect((await findTokenById(t.ctx.db, seeded.org.id, token.id))?.usageRemaining).toBe(0);
  });
});

describe('PATCH usage_limit', () => {
  it('lets a tokens.manage holder set, top up and remove the credits, audited', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, withCredits({ remaining: 1 }));
    await codes(t, verifier.secret, { token: token.secret }, 2);
    const topped = await patch(token.id, seeded.admin.headers, { usage_limit: { remaining: 3, refill: { amount: 3, interval: 'day' } } });
    expect(topped.statusCode, topped.body).toBe(200);
    expect(json(topped).usage_limit).toEqual({ remaining: 3, refill: { amount: 3, interval: 'day' } });
    expect(await codes(t, verifier.secret, { token: token.secret }, 4)).toEqual(['VALID', 'VALID', 'VALID', 'USAGE_EXCEEDED']);
    // Audit ids sort by time: the second change a moment later.
    t.clock.advance(1);
    const removed = await patch(token.id, seeded.admin.headers, { usage_limit: null });
    expect(json(removed).usage_limit).toBeNull();
    expect(await codes(t, verifier.secret, { token: token.secret }, 5)).toEqual(['VALID', 'VALID', 'VALID', 'VALID', 'VALID']);
    const audit = await t.ctx.db.selectFrom('audit_events').select(['action', 'details', 'actor_id']).where('action', '=', 'token.usage_limit_changed').orderBy('id').execute();
    expect(audit.map((a) => [a.actor_id, JSON.parse(a.details)])).toEqual([
      [seeded.admin.user.id, { usage_limit: { remaining: 3, refill: { amount: 3, interval: 'day' } }, previous_usage_limit: { remaining: 0, refill: null } }],
      [seeded.admin.user.id, { usage_limit: null, previous_usage_limit: { remaining: 0, refill: { amount: 3, interval: 'day' } } }],
    ]);
  });

  it('refuses the token owner without tokens.manage with 403, before validating the body, and changes nothing', async () => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id, withCredits({ remaining: 1 }));
    for (const payload of [{ usage_limit: { remaining: 1_000_000 } }, { usage_limit: 'lots' }, { usage_limit: null, name: 'x' }]) {
      const response = await patch(token.id, seeded.member.headers, payload);
      expect(response.statusCode).toBe(403);
    }
    // Renaming stays the owner's.
    expect((await patch(token.id, seeded.member.headers, { name: 'renamed' })).statusCode).toBe(200);
    expect((await tokenOf(token.id)).usage_limit).toEqual({ remaining: 1, refill: null });
  });

  it.each([
    [{ remaining: -1 }, 'usage_limit.remaining'],
    [{ remaining: 5, refill: { amount: 0, interval: 'day' } }, 'usage_limit.refill.amount'],
    [{ remaining: 5, refill: { amount: 5, interval: 'week' } }, 'usage_limit.refill.interval'],
  ])('refuses a bad usage_limit %j with 400', async (usage_limit, field) => {
    const token = await createdToken(t, seeded.member.headers, seeded.org.id);
    const response = await patch(token.id, seeded.admin.headers, { usage_limit });
    expect(response.statusCode).toBe(400);
    expect(problem(response).code).toBe('validation_failed');
    expect(JSON.stringify(problem(response))).toContain(field.split('.').pop());
    const created = await createToken(t, seeded.member.headers, seeded.org.id, withCredits(usage_limit));
    expect(created.statusCode).toBe(400);
  });

  it("is another org's token: 404", async () => {
    const other = await seedOrg(t.app, t.ctx);
    const token = await createdToken(t, other.member.headers, other.org.id, withCredits({ remaining: 1 }));
    const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${seeded.org.id}/tokens/${token.id}`, headers: seeded.admin.headers, payload: { usage_limit: { remaining: 9 } } });
    expect(response.statusCode).toBe(404);
  });
});
