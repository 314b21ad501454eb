import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeToken, seedOrg } from '../factories.js';
import { startTestApp, type TestApp } from '../harness.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

describe('UsageRecorder', () => {
  it('keeps a batch whose write failed and writes it on the next flush', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id } = await makeToken(t.ctx, org, member.user);
    t.ctx.usage.record(id, t.clock.now(), '198.51.100.7');
    const transaction = t.ctx.db.transaction.bind(t.ctx.db);
    t.ctx.db.transaction = () => {
      throw new Error('disk full');
    };
    await expect(t.ctx.usage.flush()).rejects.toThrow('disk full');
    t.ctx.db.transaction = transaction;
    expect(t.ctx.usage.peek(id)).toEqual({ at: t.clock.now(), ip: '198.51.100.7' });
    await t.ctx.usage.flush();
    const row = await t.ctx.db.selectFrom('tokens').select(['last_used_at', 'last_used_ip']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ last_used_at: t.clock.now(), last_used_ip: '198.51.100.7' });
    expect(t.ctx.usage.peek(id)).toBeUndefined();
  });
});
