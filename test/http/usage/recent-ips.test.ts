import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeContext, createContext } from '../../../src/runtime.js';
import { verifyToken } from '../../../src/services/verification.js';
import { isPostgres } from '../../../src/store/engine.js';
import { makeToken, seedOrg } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { verifier } from './helpers.js';

let t: TestApp;
let verify: Awaited<ReturnType<typeof verifier>>;
beforeEach(async () => {
  t = await startTestApp();
  verify = await verifier(t);
});
afterEach(() => t.close());

type RecentIp = { ip: string; last_seen_at: string };

async function recentIps(orgId: string, tokenId: string, headers: Record<string, string>): Promise<{ one: RecentIp[]; listed: RecentIp[] }> {
  const one = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${orgId}/tokens/${tokenId}`, headers });
  const list = await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${orgId}/tokens`, headers });
  const listed = json<{ data: { id: string; recent_ips: RecentIp[] }[] }>(list).data.find((d) => d.id === tokenId)!;
  return { one: json<{ recent_ips: RecentIp[] }>(one).recent_ips, listed: listed.recent_ips };
}

/** Verifies from each address in turn, a second apart. */
async function useFrom(secret: string, ips: string[]) {
  for (const ip of ips) {
    t.clock.advance(1000);
    await verify({ token: secret, ip });
  }
}

const at = (ms: number) => new Date(ms).toISOString();

describe('recent_ips', () => {
  it('keeps the last 5 distinct addresses of uses, newest first, flushed or not', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    await useFrom(secret, ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    await t.ctx.usage.flush();
    await useFrom(secret, ['192.0.2.4', '2001:db8::5']);
    const expected = ['2001:db8::5', '192.0.2.4', '192.0.2.3', '192.0.2.2', '192.0.2.1'].map((ip, i) => ({ ip, last_seen_at: at(t.clock.now() - i * 1000) }));
    // Stored and unflushed addresses merged, in the single view and in the list alike.
    expect(await recentIps(org.id, id, member.headers)).toEqual({ one: expected, listed: expected });
    await t.ctx.usage.flush();
    expect((await recentIps(org.id, id, member.headers)).one).toEqual(expected);

    // A sixth address pushes out the oldest.
    await useFrom(secret, ['192.0.2.6']);
    await t.ctx.usage.flush();
    const { one } = await recentIps(org.id, id, member.headers);
    expect(one.map((r) => r.ip)).toEqual(['192.0.2.6', '2001:db8::5', '192.0.2.4', '192.0.2.3', '192.0.2.2']);
  });

  it('keeps one entry for an address used again, at its newest time', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    await useFrom(secret, ['192.0.2.1', '192.0.2.2', '192.0.2.1']);
    await t.ctx.usage.flush();
    await useFrom(secret, ['192.0.2.2', '192.0.2.2']);
    const now = t.clock.now();
    const expected = [
      { ip: '192.0.2.2', last_seen_at: at(now) },
      { ip: '192.0.2.1', last_seen_at: at(now - 2000) },
    ];
    expect(await recentIps(org.id, id, member.headers)).toEqual({ one: expected, listed: expected });
    await t.ctx.usage.flush();
    expect((await recentIps(org.id, id, member.headers)).one).toEqual(expected);
  });

  it('notes only uses: refused verifies and verifies without an address leave it alone', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    await verify({ token: secret, ip: '192.0.2.1', scopes: ['billing:read'] });
    await verify({ token: secret });
    await t.ctx.usage.flush();
    expect(await recentIps(org.id, id, member.headers)).toEqual({ one: [], listed: [] });
  });

  it("merges two processes' addresses when they flush at once", async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await makeToken(t.ctx, org, member.user);
    const second = await createContext(t.ctx.config, { clock: t.clock });
    try {
      for (const [ctx, ip] of [[t.ctx, '192.0.2.1'], [second, '198.51.100.1'], [t.ctx, '192.0.2.2'], [second, '198.51.100.2']] as const) {
        t.clock.advance(1000);
        await verifyToken(ctx, { secret, ip });
      }
      // PostgreSQL row locks queue the two read-modify-writes; SQLite has one writer, one process.
      if (isPostgres(t.ctx.db)) await Promise.all([t.ctx.usage.flush(), second.usage.flush()]);
      else for (const ctx of [t.ctx, second]) await ctx.usage.flush();
    } finally {
      await closeContext(second);
    }
    const { one } = await recentIps(org.id, id, member.headers);
    expect(one.map((r) => r.ip)).toEqual(['198.51.100.2', '192.0.2.2', '198.51.100.1', '192.0.2.1']);
  });
});
