import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeContext, createContext } from '../../src/runtime.js';
import type { ServiceContext } from '../../src/services/context.js';
import { MAX_DELIVERY_ATTEMPTS } from '../../src/core/webhook-retry.js';
import { WebhookDispatcher } from '../../src/services/webhooks/dispatcher.js';
import { claimJob, dueJobs } from '../../src/store/webhooks.js';
import { seedOrg } from '../factories.js';
import { FakeClock, startTestApp, type TestApp } from '../harness.js';
import { TEST_STORE } from '../postgres.js';
import { createdWebhook, Receiver } from '../http/webhooks/helpers.js';
import { createdToken } from '../http/tokens/helpers.js';

/**
 * Two processes of one deployment — two contexts with their own connections to the same store —
 * deliver the same outbox. On PostgreSQL (the postgres project) their claims truly race; on
 * SQLite the file serializes them. Either way no job is sent twice within its lease.
 */
let t: TestApp;
let other: ServiceContext;
let receiver: Receiver;
beforeEach(async () => {
  t = await startTestApp({ clock: new FakeClock(Date.now()), env: { KEYWARD_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  other = await createContext(t.ctx.config, { clock: t.clock });
  receiver = await new Receiver().start();
});
afterEach(async () => {
  await receiver.stop();
  await closeContext(other);
  await t.close();
});

/** An org with a webhook to the receiver and `count` token.created events in its outbox. */
async function outboxOf(count: number) {
  const { org, owner, admin, member } = await seedOrg(t.app, t.ctx);
  const webhook = await createdWebhook(t, owner.headers, org.id, { url: receiver.url, events: ['token.created'] });
  // Spread over three people: each may hold 10 tokens.
  const people = [owner, admin, member];
  for (let i = 0; i < count; i++) await createdToken(t, people[i % 3]!.headers, org.id, { name: `t${i}`, scopes: ['devices:read'], expires_in_days: 30 });
  return webhook;
}

describe('claiming webhook jobs from two processes', () => {
  it('lets exactly one of two simultaneous claims of a job win', async () => {
    await outboxOf(10);
    const now = t.clock.now();
    const jobs = await dueJobs(t.ctx.db, now, 100);
    expect(jobs).toHaveLength(10);
    const outcomes = await Promise.all(jobs.map((job) => Promise.all([claimJob(t.ctx.db, job, now, 15_000), claimJob(other.db, job, now, 15_000)])));
    expect(outcomes.map(([a, b]) => Number(a) + Number(b))).toEqual(Array<number>(10).fill(1));
    // Claimed jobs are not due again within their lease.
    expect(await dueJobs(other.db, now + 14_999, 100)).toEqual([]);
    expect(await dueJobs(other.db, now + 15_000, 100)).toHaveLength(10);
  });

  // Two SQLite connections in one process cannot interleave transactions: better-sqlite3 waits for
  // the lock synchronously, on the thread the other transaction needs. Embedded mode is one process.
  it.runIf(TEST_STORE === 'postgres')('delivers every event once when both dispatchers run at the same time', async () => {
    const webhook = await outboxOf(24);
    const options = { concurrency: 8, timeoutMs: 5_000 };
    const [a, b] = [new WebhookDispatcher(t.ctx, options), new WebhookDispatcher(other, options)];
    let sent = 0;
    for (let round = 0; round < 5; round++) {
      const [byA, byB] = await Promise.all([a.runOnce(), b.runOnce()]);
      sent += byA + byB;
    }
    expect(sent).toBe(24);
    const ids = receiver.verified(webhook.secret).map((event) => event.id);
    expect(ids).toHaveLength(24);
    expect(new Set(ids).size).toBe(24);
    const attempts = await t.ctx.db.selectFrom('webhook_deliveries').select(['attempt', 'status']).execute();
    expect(attempts).toHaveLength(24);
    expect(attempts.every((d) => d.attempt === 1 && d.status === 'delivered')).toBe(true);
  });

  it("retries a job whose process died mid-delivery once its lease ran out, and not before", async () => {
    const webhook = await outboxOf(1);
    const crashed = new WebhookDispatcher(t.ctx, { timeoutMs: 10_000 });
    // The first process claims the job and sends it, then dies before the answer comes.
    receiver.answer('hold');
    const inFlight = crashed.runOnce();
    await receiver.waitFor(1);
    const survivor = new WebhookDispatcher(other, { timeoutMs: 10_000 });
    t.clock.advance(crashed.leaseMs - 1);
    expect(await survivor.runOnce()).toBe(0);
    t.clock.advance(1);
    expect(await survivor.runOnce()).toBe(1);

    const [held, retried] = receiver.verified(webhook.secret);
    expect(retried!.id).toBe(held!.id);
    const attempts = await t.ctx.db.selectFrom('webhook_deliveries').selectAll().orderBy('attempt').execute();
    expect(attempts).toMatchObject([
      { attempt: 1, status: 'failed', error: expect.stringContaining('Keyward stopped before the endpoint answered') },
      { attempt: 2, status: 'delivered', response_status: 200 },
    ]);
    // The late process's own answer, when it finally comes, changes nothing.
    await receiver.stop();
    await inFlight;
    expect(await t.ctx.db.selectFrom('webhook_jobs').select(['status', 'attempts']).execute()).toEqual([{ status: 'delivered', attempts: 2 }]);
    expect((await t.ctx.db.selectFrom('webhook_deliveries').select('status').orderBy('attempt').execute()).map((d) => d.status)).toEqual(['failed', 'delivered']);
  });

  it('gives up a job whose attempts keep being abandoned, rather than retrying it for ever', async () => {
    await outboxOf(1);
    await t.ctx.db.updateTable('webhook_jobs').set({ attempts: 2 * MAX_DELIVERY_ATTEMPTS }).execute();
    expect(await new WebhookDispatcher(other).runOnce()).toBe(0);
    expect(receiver.received).toEqual([]);
    expect(await t.ctx.db.selectFrom('webhook_jobs').select('status').execute()).toEqual([{ status: 'failed' }]);
  });
});
