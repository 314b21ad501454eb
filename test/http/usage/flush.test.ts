import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeContext, createContext } from '../../../src/runtime.js';
import type { ServiceContext } from '../../../src/services/context.js';
import { verifyToken } from '../../../src/services/verification.js';
import { isPostgres } from '../../../src/store/engine.js';
import { makeToken, seedOrg, signIn } from '../../factories.js';
import { startTestApp, type TestApp } from '../../harness.js';
import { DAY, HOUR, nonEmpty, range, tokenBuckets, verifier } from './helpers.js';

let t: TestApp;
let verify: Awaited<ReturnType<typeof verifier>>;
let others: ServiceContext[];
beforeEach(async () => {
  t = await startTestApp();
  verify = await verifier(t);
  others = [];
});
afterEach(async () => {
  for (const ctx of others) await closeContext(ctx);
  await t.close();
});

/** Another Keyward process on the same database. */
async function anotherProcess(): Promise<ServiceContext> {
  const ctx = await createContext(t.ctx.config, { clock: t.clock });
  others.push(ctx);
  return ctx;
}

async function verifyIn(ctx: ServiceContext, secret: string, times: number, ip?: string) {
  for (let i = 0; i < times; i++) await verifyToken(ctx, { secret, ...(ip ? { ip } : {}) });
}

/** The stored buckets of a token, straight from the table. */
async function storedRows(tokenId: string) {
  const rows = await t.ctx.db.selectFrom('usage_buckets').select(['granularity', 'bucket_start', 'code', 'count']).where('token_id', '=', tokenId).execute();
  return rows.map((r) => ({ ...r, bucket_start: Number(r.bucket_start), count: Number(r.count) })).sort((a, b) => a.granularity.localeCompare(b.granularity) || a.bucket_start - b.bucket_start);
}

describe('usage analytics: flushing the counts', () => {
  it('adds the counts of several processes into the same buckets', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    const second = await anotherProcess();
    const third = await anotherProcess();
    await verifyIn(t.ctx, secret, 2);
    await verifyIn(second, secret, 3);
    await verifyIn(third, secret, 4);
    await t.ctx.usage.flush();
    // On PostgreSQL two processes flush at the same moment; SQLite has one writer, one process.
    if (isPostgres(t.ctx.db)) await Promise.all([second.usage.flush(), third.usage.flush()]);
    else for (const ctx of [second, third]) await ctx.usage.flush();
    const hour = Math.floor(t.clock.now() / HOUR) * HOUR;
    expect(await storedRows(id)).toEqual([
      { granularity: 'day', bucket_start: Math.floor(hour / DAY) * DAY, code: 'VALID', count: 9 },
      { granularity: 'hour', bucket_start: hour, code: 'VALID', count: 9 },
    ]);
    await verifyIn(second, secret, 1);
    await second.usage.flush();
    expect(nonEmpty(await tokenBuckets(t, member.headers, org.id, id))[0]!.codes).toEqual({ VALID: 10 });
  });

  it('writes what is pending when the process closes', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    const second = await anotherProcess();
    await verifyIn(second, secret, 3, '203.0.113.9');
    others.pop();
    await closeContext(second);
    expect(nonEmpty(await tokenBuckets(t, member.headers, org.id, id))[0]!.codes).toEqual({ VALID: 3 });
    const token = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens/${id}`, headers: member.headers });
    expect(token.json()).toMatchObject({ last_used_ip: '203.0.113.9', recent_ips: [{ ip: '203.0.113.9' }] });
  });

  it('keeps the counts of a failed flush, merged with newer ones, for the next flush', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    await verify({ token: secret, ip: '192.0.2.1' });
    await verify({ token: secret, scopes: ['billing:read'] });
    const transaction = t.ctx.db.transaction.bind(t.ctx.db);
    t.ctx.db.transaction = () => {
      throw new Error('disk full');
    };
    await expect(t.ctx.usage.flush()).rejects.toThrow('disk full');
    t.ctx.db.transaction = transaction;
    t.clock.advance(1000);
    await verify({ token: secret, ip: '192.0.2.2' });
    expect(nonEmpty(await tokenBuckets(t, member.headers, org.id, id))[0]!.codes).toEqual({ VALID: 2, INSUFFICIENT_SCOPE: 1 });
    await t.ctx.usage.flush();
    expect(t.ctx.usage.pendingCount).toBe(0);
    expect((await storedRows(id)).map((r) => [r.granularity, r.code, r.count])).toEqual([
      ['day', 'INSUFFICIENT_SCOPE', 1],
      ['day', 'VALID', 2],
      ['hour', 'INSUFFICIENT_SCOPE', 1],
      ['hour', 'VALID', 2],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1]))));
    const token = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens/${id}`, headers: member.headers });
    expect(token.json().recent_ips.map((r: { ip: string }) => r.ip)).toEqual(['192.0.2.2', '192.0.2.1']);
  });

  it('writes each hour of a token to its own bucket when a flush covers several', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    const start = Math.floor(t.clock.now() / HOUR) * HOUR;
    await verify({ token: secret });
    t.clock.advance(HOUR);
    await verify({ token: secret });
    await verify({ token: secret });
    await t.ctx.usage.flush();
    expect(await storedRows(id)).toEqual([
      { granularity: 'day', bucket_start: Math.floor(start / DAY) * DAY, code: 'VALID', count: 3 },
      { granularity: 'hour', bucket_start: start, code: 'VALID', count: 1 },
      { granularity: 'hour', bucket_start: start + HOUR, code: 'VALID', count: 2 },
    ]);
  });
});

describe('usage analytics: retention', () => {
  it('drops hours after 90 days and days after two years', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    const start = t.clock.now();
    await verify({ token: secret });
    await t.ctx.usage.flush();
    const hourRange = range('hour', start, start + HOUR);
    const dayRange = range('day', start - DAY, start + DAY);

    t.clock.advanceDays(90);
    expect(await t.ctx.usage.sweep()).toBe(0);
    t.clock.advance(HOUR);
    expect(await t.ctx.usage.sweep()).toBe(1);
    let headers = await signIn(t.app, member.user);
    expect(nonEmpty(await tokenBuckets(t, headers, org.id, id, hourRange))).toEqual([]);
    expect(nonEmpty(await tokenBuckets(t, headers, org.id, id, dayRange))).toHaveLength(1);

    // A bucket is as old as its start: the day's bucket began at midnight.
    t.clock.ms = Math.floor(start / DAY) * DAY + 730 * DAY;
    expect(await t.ctx.usage.sweep()).toBe(0);
    headers = await signIn(t.app, member.user);
    expect(nonEmpty(await tokenBuckets(t, headers, org.id, id, dayRange))).toHaveLength(1);
    t.clock.advance(1);
    expect(await t.ctx.usage.sweep()).toBe(1);
    expect(await storedRows(id)).toEqual([]);
  });

  it('sweeps from the flush timer at most once an hour', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    await t.ctx.usage.tick(); // the first tick sweeps
    t.clock.advanceDays(-100);
    await verify({ token: secret });
    t.clock.advanceDays(100);
    await t.ctx.usage.tick(); // flushes the 100-day-old hour, does not sweep again yet
    expect((await storedRows(id)).map((r) => r.granularity)).toEqual(['day', 'hour']);
    t.clock.advance(HOUR);
    await t.ctx.usage.tick();
    expect((await storedRows(id)).map((r) => r.granularity)).toEqual(['day']);
  });
});
