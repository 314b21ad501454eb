import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepTokenLifecycle } from '../../src/services/token-lifecycle.js';
import { updateToken } from '../../src/store/tokens.js';
import { makeToken, seedOrg } from '../factories.js';
import { startTestApp, type TestApp } from '../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const events = (action: string) => t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', action).execute();

describe('token lifecycle sweeps', () => {
  it('announces token.expiring once on entering the warning window and token.expired once on expiry', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { policy: { warning_window_days: 14 } });
    const { id } = await makeToken(t.ctx, org, member.user, { expiresInDays: 30 });
    expect(await sweepTokenLifecycle(t.ctx)).toEqual({ expiring: [], expired: [] });

    t.clock.advanceDays(17); // 13 days left
    expect(await sweepTokenLifecycle(t.ctx)).toEqual({ expiring: [id], expired: [] });
    expect(await sweepTokenLifecycle(t.ctx)).toEqual({ expiring: [], expired: [] });
    const [expiring] = await events('token.expiring');
    expect(expiring).toMatchObject({ org_id: org.id, actor_type: 'system', target_id: id });
    expect(JSON.parse(expiring!.details)).toMatchObject({ days_left: 13, owner_id: member.user.id });

    t.clock.advanceDays(14);
    expect(await sweepTokenLifecycle(t.ctx)).toEqual({ expiring: [], expired: [id] });
    expect(await sweepTokenLifecycle(t.ctx)).toEqual({ expiring: [], expired: [] });
    expect(await events('token.expired')).toHaveLength(1);
  });

  it('uses each org’s own warning window and skips revoked and disabled tokens', async () => {
    const wide = await seedOrg(t.app, t.ctx, { policy: { warning_window_days: 30 } });
    const narrow = await seedOrg(t.app, t.ctx, { policy: { warning_window_days: 3 } });
    const inWide = await makeToken(t.ctx, wide.org, wide.member.user, { expiresInDays: 30 });
    const inNarrow = await makeToken(t.ctx, narrow.org, narrow.member.user, { expiresInDays: 30 });
    const revoked = await makeToken(t.ctx, wide.org, wide.member.user, { expiresInDays: 30 });
    await updateToken(t.ctx.db, revoked.id, { revokedAt: t.clock.now(), revokedReason: 'manual' });
    const disabled = await makeToken(t.ctx, wide.org, wide.member.user, { expiresInDays: 30 });
    await updateToken(t.ctx.db, disabled.id, { disabledAt: t.clock.now(), disabledReason: 'manual' });
    t.clock.advance(1);
    expect(await sweepTokenLifecycle(t.ctx)).toEqual({ expiring: [inWide.id], expired: [] });

    t.clock.advanceDays(31);
    // A token revoked before its expiry never "expires"; a disabled one does.
    const { expired } = await sweepTokenLifecycle(t.ctx);
    expect(expired.sort()).toEqual([inWide.id, inNarrow.id, disabled.id].sort());
    expect(expired).not.toContain(revoked.id);
  });
});
