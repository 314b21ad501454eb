import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepTokenLifecycle } from '../../src/services/token-lifecycle.js';
import { addMember, makeOrg, makeSignedInUser, makeToken, seedOrg } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { NEW_TOKEN } from '../http/tokens/helpers.js';

/**
 * Races that SQLite's one connection hides, run as truly concurrent requests against PostgreSQL
 * (this file runs in the postgres project only): the pool gives each request its own connection.
 */
let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const statuses = (responses: { statusCode: number }[]) => responses.map((r) => r.statusCode).sort();
const count = (responses: { statusCode: number }[], status: number) => responses.filter((r) => r.statusCode === status).length;

describe('concurrent requests on PostgreSQL', () => {
  it('keeps the per-user cap: 20 creates at once for a cap of 10 make exactly 10 tokens', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: member.headers, payload: { ...NEW_TOKEN, name: `t${i}` } }),
      ),
    );
    expect(count(responses, 201), JSON.stringify(statuses(responses))).toBe(10);
    expect(count(responses, 422)).toBe(10);
    expect(responses.filter((r) => r.statusCode === 422).every((r) => json(r).code === 'token_limit_reached')).toBe(true);
  });

  it('keeps the last owner: two owners stepping down at once leave one', async () => {
    const org = await makeOrg(t.ctx);
    const a = await makeSignedInUser(t.app, t.ctx);
    const b = await makeSignedInUser(t.app, t.ctx);
    await addMember(t.ctx, org, a.user, 'owner');
    await addMember(t.ctx, org, b.user, 'owner');
    const demote = (who: typeof a, target: typeof a) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}/members/${target.user.id}`, headers: who.headers, payload: { role: 'admin' } });
    // Enough rounds to meet the interleavings that deadlocked when the target row was locked late.
    for (let round = 0; round < 30; round++) {
      const responses = await Promise.all([demote(a, a), demote(b, b), demote(a, b), demote(b, a)]);
      expect(responses.every((r) => r.statusCode < 500), JSON.stringify(statuses(responses))).toBe(true);
      const owners = await t.ctx.db.selectFrom('memberships').select('user_id').where('org_id', '=', org.id).where('role', '=', 'owner').execute();
      expect(owners.length).toBeGreaterThanOrEqual(1);
      // Make both owners again for the next round.
      await t.ctx.db.updateTable('memberships').set({ role: 'owner' }).where('org_id', '=', org.id).execute();
    }
  });

  it('lets one of ten concurrent rotations win, the others 409 with no successor', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id } = await makeToken(t.ctx, org, member.user);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${id}/rotate`, headers: member.headers })),
    );
    expect(count(responses, 201), JSON.stringify(statuses(responses))).toBe(1);
    expect(count(responses, 409)).toBe(9);
    const successors = await t.ctx.db.selectFrom('tokens').select('id').where('rotated_from', '=', id).execute();
    expect(successors).toHaveLength(1);
  });

  it('answers 409, never 500, when the same email, slug or membership is created at once', async () => {
    const site = await makeSignedInUser(t.app, t.ctx, { siteAdmin: true });
    const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, headers: site.headers, payload });
    const users = await Promise.all(Array.from({ length: 8 }, () => post('/api/v1/users', { email: 'same@example.test', name: 'Same', password: 'long enough password' })));
    expect(count(users, 201), JSON.stringify(statuses(users))).toBe(1);
    expect(count(users, 409)).toBe(7);
    const orgs = await Promise.all(Array.from({ length: 8 }, () => post('/api/v1/orgs', { name: 'Acme', slug: 'acme', plan: 'enterprise' })));
    expect(count(orgs, 201), JSON.stringify(statuses(orgs))).toBe(1);
    expect(count(orgs, 409)).toBe(7);
    const orgId = json(orgs.find((r) => r.statusCode === 201)!).id as string;
    const userId = json(users.find((r) => r.statusCode === 201)!).id as string;
    const members = await Promise.all(Array.from({ length: 8 }, () => post(`/api/v1/orgs/${orgId}/members`, { user_id: userId, role: 'member' })));
    expect(count(members, 201), JSON.stringify(statuses(members))).toBe(1);
    expect(count(members, 409)).toBe(7);
  });

  it('announces each expiring and expired token once when several processes sweep at once', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    for (let i = 0; i < 5; i++) await makeToken(t.ctx, org, member.user, { expiresInDays: 7 });
    for (let i = 0; i < 5; i++) await makeToken(t.ctx, org, member.user, { expiresInDays: 1 });
    const sweeps = await Promise.all(Array.from({ length: 4 }, () => sweepTokenLifecycle(t.ctx)));
    expect(sweeps.flatMap((s) => s.expiring)).toHaveLength(10);
    t.clock.advanceDays(2);
    const later = await Promise.all(Array.from({ length: 4 }, () => sweepTokenLifecycle(t.ctx)));
    expect(later.flatMap((s) => s.expired)).toHaveLength(5);
    const events = await t.ctx.db.selectFrom('audit_events').select('action').where('action', 'in', ['token.expiring', 'token.expired']).execute();
    expect(events.filter((e) => e.action === 'token.expiring')).toHaveLength(10);
    expect(events.filter((e) => e.action === 'token.expired')).toHaveLength(5);
  });

  it('lets exactly one of several concurrent first-run setups through', async () => {
    const { bootstrap } = await import('../../src/services/bootstrap.js');
    const outcome = await bootstrap(t.ctx);
    if (outcome.kind !== 'setup_link') throw new Error('expected a setup link');
    const token = new URL(outcome.url).searchParams.get('token');
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { token, email: `root${i}@example.test`, name: 'Root', password: 'long enough password' } }),
      ),
    );
    expect(count(responses, 201), JSON.stringify(statuses(responses))).toBe(1);
    expect(responses.every((r) => r.statusCode === 201 || r.statusCode === 403 || r.statusCode === 409)).toBe(true);
  });
});
