import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeRole, makeServiceAccount, makeToken, makeUser, seedOrg, signIn } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { bearer } from '../tokens/helpers.js';
import { DAY, nonEmpty, orgUsage, verifier, type OrgUsage } from './helpers.js';

let t: TestApp;
let verify: Awaited<ReturnType<typeof verifier>>;
beforeEach(async () => {
  t = await startTestApp();
  verify = await verifier(t);
});
afterEach(() => t.close());

async function usageOf(headers: Record<string, string>, orgId: string, query = ''): Promise<OrgUsage> {
  const response = await orgUsage(t, headers, orgId, query);
  expect(response.statusCode, response.body).toBe(200);
  return json<OrgUsage>(response);
}

async function verifyTimes(secret: string, n: number, scopes?: string[]) {
  for (let i = 0; i < n; i++) await verify({ token: secret, ...(scopes ? { scopes } : {}) });
}

describe('GET /api/v1/orgs/{org}/usage', () => {
  it("sums the org's verifications per bucket and names its busiest tokens, most first", async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const account = await makeServiceAccount(t.ctx, org);
    const quiet = await makeToken(t.ctx, org, member.user, { name: 'quiet' });
    const busy = await makeToken(t.ctx, org, admin.user, { name: 'busy' });
    const bot = await makeToken(t.ctx, org, account, { name: 'bot' });
    await verifyTimes(quiet.secret, 1);
    await verifyTimes(busy.secret, 3);
    await verifyTimes(busy.secret, 1, ['billing:read']);
    await t.ctx.usage.flush();
    // Yesterday's flushed counts and today's unflushed ones meet in one answer.
    t.clock.advanceDays(1);
    await verifyTimes(bot.secret, 2);
    await verifyTimes(quiet.secret, 1);
    const headers = await signIn(t.app, admin.user);
    const other = await seedOrg(t.app, t.ctx);
    await verifyTimes((await makeToken(t.ctx, other.org, other.member.user)).secret, 7);

    const usage = await usageOf(headers, org.id);
    expect(usage.data).toHaveLength(30);
    const today = Math.floor(t.clock.now() / DAY) * DAY;
    expect(nonEmpty(usage.data)).toEqual([
      { bucket_start: new Date(today - DAY).toISOString(), codes: { VALID: 4, INSUFFICIENT_SCOPE: 1 } },
      { bucket_start: new Date(today).toISOString(), codes: { VALID: 3 } },
    ]);
    expect(usage.tokens).toEqual([
      { id: busy.id, name: 'busy', total: 4, codes: { VALID: 3, INSUFFICIENT_SCOPE: 1 } },
      { id: quiet.id, name: 'quiet', total: 2, codes: { VALID: 2 } },
      { id: bot.id, name: 'bot', total: 2, codes: { VALID: 2 } },
    ].sort((a, b) => b.total - a.total || (a.id < b.id ? -1 : 1)));
    // The range decides what counts: today alone.
    const todayOnly = await usageOf(headers, org.id, `?since=${new Date(today).toISOString()}`);
    expect(todayOnly.tokens.map((x) => [x.name, x.total]).sort()).toEqual([['bot', 2], ['quiet', 1]]);
  });

  it('names at most 10 tokens', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    for (let i = 0; i < 12; i++) await verifyTimes((await makeToken(t.ctx, org, member.user, { name: `t${i}` })).secret, i + 1);
    const usage = await usageOf(admin.headers, org.id);
    expect(usage.tokens.map((x) => x.name)).toEqual(['t11', 't10', 't9', 't8', 't7', 't6', 't5', 't4', 't3', 't2']);
    expect(nonEmpty(usage.data)[0]!.codes).toEqual({ VALID: 78 });
  });

  it('leaves impersonation tokens out, in totals and list, for managers who may not see them', async () => {
    const { org, member, admin } = await seedOrg(t.app, t.ctx);
    const own = await makeToken(t.ctx, org, member.user, { name: 'own' });
    const impersonation = await makeToken(t.ctx, org, member.user, { impersonatedBy: admin.user, name: 'support session' });
    await verifyTimes(own.secret, 1);
    await verifyTimes(impersonation.secret, 2);
    const manager = await makeUser(t.ctx);
    await addMember(t.ctx, org, manager, await makeRole(t.ctx, org, ['tokens.manage'], 'manager'));
    for (const flushed of [false, true]) {
      if (flushed) await t.ctx.usage.flush();
      const seen = await usageOf(await signIn(t.app, manager), org.id);
      expect(seen.tokens.map((x) => x.id)).toEqual([own.id]);
      expect(nonEmpty(seen.data)[0]!.codes).toEqual({ VALID: 1 });
      const all = await usageOf(admin.headers, org.id);
      expect(all.tokens.map((x) => x.id)).toEqual([impersonation.id, own.id]);
      expect(nonEmpty(all.data)[0]!.codes).toEqual({ VALID: 3 });
    }
  });

  it('answers 403 to a member, before looking at the query', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const response = await orgUsage(t, member.headers, org.id, '?granularity=nonsense');
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('forbidden');
  });

  it("answers 404 for an org the caller is not in, and 403 to a token without keyward:tokens:read", async () => {
    const { org, owner } = await seedOrg(t.app, t.ctx);
    const elsewhere = await seedOrg(t.app, t.ctx);
    expect((await orgUsage(t, owner.headers, elsewhere.org.id)).statusCode).toBe(404);
    const product = await makeToken(t.ctx, org, owner.user, { scopes: ['devices:read'] });
    expect((await orgUsage(t, bearer(product.secret), org.id)).statusCode).toBe(403);
    const reader = await makeToken(t.ctx, org, owner.user, { scopes: ['keyward:tokens:read'] });
    expect((await orgUsage(t, bearer(reader.secret), org.id)).statusCode).toBe(200);
    expect((await orgUsage(t, bearer(reader.secret), elsewhere.org.id)).statusCode).toBe(404);
  });

  it('validates the range like the token usage', async () => {
    const { org, admin } = await seedOrg(t.app, t.ctx);
    const response = await orgUsage(t, admin.headers, org.id, `?granularity=hour&since=${new Date(t.clock.now() - 91 * DAY).toISOString()}`);
    expect(response.statusCode).toBe(400);
    expect(json(response)).toMatchObject({ code: 'validation_failed', field: 'since' });
  });
});
