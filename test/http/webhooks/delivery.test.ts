import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../src/core/policy.js';
import { MAX_DELIVERY_ATTEMPTS } from '../../../src/core/webhook-retry.js';
import { generateWebhookSecret } from '../../../src/core/webhook-secret.js';
import { recordAudit, systemActor } from '../../../src/services/audit.js';
import { sweepTokenLifecycle } from '../../../src/services/token-lifecycle.js';
import { postWebhook } from '../../../src/services/webhooks/delivery.js';
import { WebhookDispatcher } from '../../../src/services/webhooks/dispatcher.js';
import { sealWebhookSecret, webhookSealingKey } from '../../../src/services/webhooks/secrets.js';
import { updateToken } from '../../../src/store/tokens.js';
import { insertWebhook } from '../../../src/store/webhooks.js';
import { makeToken, seedOrg } from '../../factories.js';
import { FakeClock, json, startTestApp, type TestApp } from '../../harness.js';
import { bearer, createdToken, tokenAction } from '../tokens/helpers.js';
import { createdWebhook, Receiver, webhooksUrl } from './helpers.js';

/**
 * Deliveries to a real receiver on 127.0.0.1 (so the deployment allows private targets), each
 * checked with the standardwebhooks library as a receiver would. The clock starts at the real
 * time: the library refuses timestamps more than 5 minutes off.
 */
let t: TestApp;
let receiver: Receiver;
afterEach(async () => {
  await receiver?.stop();
  await t?.close();
});

async function start(options: { clock?: FakeClock; allowPrivate?: boolean } = {}) {
  t = await startTestApp({ clock: options.clock ?? new FakeClock(Date.now()), env: { KEYWARD_WEBHOOK_ALLOW_PRIVATE: String(options.allowPrivate ?? true) } });
  receiver = await new Receiver().start();
  const seeded = await seedOrg(t.app, t.ctx);
  // Fixed jitter: the first retry is exactly 5 s later.
  const dispatcher = new WebhookDispatcher(t.ctx, { random: () => 0.5, timeoutMs: 3_000 });
  return { ...seeded, dispatcher };
}

const deliveries = async (orgId: string, webhookId: string, headers: Record<string, string>) =>
  json(await t.app.inject({ method: 'GET', url: webhooksUrl(orgId, `/${webhookId}/deliveries`), headers })).data as Record<string, unknown>[];

describe('webhook deliveries', () => {
  it('sends token.created, token.revoked and token.rotated, signed, with the token as the API shows it and no secret', async () => {
    const { org, owner, member, dispatcher } = await start();
    const webhook = await createdWebhook(t, owner.headers, org.id, { url: receiver.url });
    const first = await createdToken(t, member.headers, org.id);
    const revoked = json(await tokenAction(t, member.headers, org.id, first.id, 'revoke'));
    const second = await createdToken(t, member.headers, org.id);
    const rotation = json(await tokenAction(t, member.headers, org.id, second.id, 'rotate', { grace_period_seconds: 0 }));
    const rotated = json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens/${second.id}`, headers: member.headers }));

    expect(await dispatcher.runOnce()).toBe(4);
    expect(receiver.received).toHaveLength(4);
    const events = receiver.verified(webhook.secret);
    const ofType = (type: string, tokenId: string) => events.find((e) => e.type === type && e.data.token.id === tokenId);
    const audit = await t.ctx.db.selectFrom('audit_events').selectAll().where('org_id', '=', org.id).execute();
    const auditId = (action: string, tokenId: string) => audit.find((a) => a.action === action && a.target_id === tokenId)!.id;
    const actor = { type: 'user', id: member.user.id, impersonator: null };

    expect(ofType('token.created', first.id)).toEqual({
      id: auditId('token.created', first.id),
      type: 'token.created',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: { token: expect.objectContaining({ id: first.id, org_id: org.id, status: 'active', hint: expect.stringMatching(/^kw_/) }), actor },
    });
    expect(ofType('token.revoked', first.id)).toMatchObject({ id: auditId('token.revoked', first.id), data: { token: revoked, actor } });
    expect(ofType('token.created', second.id)).toBeDefined();
    expect(ofType('token.rotated', second.id)).toMatchObject({
      id: auditId('token.rotated', second.id),
      data: { token: { ...rotated, replaced_by: rotation.token.id }, actor },
    });
    for (const r of receiver.received) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(r.headers['webhook-timestamp']).toBe(String(Math.floor(t.clock.now() / 1000)));
      for (const secret of [first.secret, second.secret, rotation.secret, webhook.secret, webhook.secret.slice('whsec_'.length)]) {
        expect(r.body).not.toContain(secret);
      }
    }
    const log = await deliveries(org.id, webhook.id, owner.headers);
    expect(log).toHaveLength(4);
    expect(log.every((d) => d.status === 'delivered' && d.response_status === 200 && d.attempt === 1 && d.error === null)).toBe(true);
    // Delivered once: the next rounds send nothing.
    t.clock.advance(60_000);
    expect(await dispatcher.runOnce()).toBe(0);
  });

  it('retries a 500 with the same webhook-id, and the log shows both attempts', async () => {
    const { org, owner, member, dispatcher } = await start();
    const webhook = await createdWebhook(t, owner.headers, org.id, { url: receiver.url, events: ['token.created'] });
    receiver.answer(500, 200);
    await createdToken(t, member.headers, org.id);

    expect(await dispatcher.runOnce()).toBe(1);
    const failedAt = t.clock.now();
    expect(await deliveries(org.id, webhook.id, owner.headers)).toEqual([
      expect.objectContaining({ attempt: 1, status: 'failed', response_status: 500, error: null, next_attempt_at: new Date(failedAt + 5_000).toISOString() }),
    ]);
    // Not due before its backoff.
    t.clock.advance(4_999);
    expect(await dispatcher.runOnce()).toBe(0);
    t.clock.advance(1);
    expect(await dispatcher.runOnce()).toBe(1);

    const [firstTry, secondTry] = receiver.verified(webhook.secret);
    expect(receiver.received).toHaveLength(2);
    expect(secondTry!.id).toBe(firstTry!.id);
    expect(secondTry!.id).toMatch(/^evt_/);
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    expect(Number(receiver.received[1]!.headers['webhook-timestamp']) - Number(receiver.received[0]!.headers['webhook-timestamp'])).toBe(5);
    const log = await deliveries(org.id, webhook.id, owner.headers);
    expect(log).toEqual([
      {
        id: expect.stringMatching(/^dlv_/),
        webhook_id: webhook.id,
        event_id: firstTry!.id,
        type: 'token.created',
        attempt: 2,
        status: 'delivered',
        response_status: 200,
        error: null,
        created_at: new Date(t.clock.now()).toISOString(),
        finished_at: new Date(t.clock.now()).toISOString(),
        next_attempt_at: null,
      },
      expect.objectContaining({ event_id: firstTry!.id, attempt: 1, status: 'failed', response_status: 500 }),
    ]);
    expect(json(await t.app.inject({ method: 'GET', url: `${webhooksUrl(org.id, `/${webhook.id}/deliveries`)}?limit=1`, headers: owner.headers })).next_cursor).toBe(log[0]!.id);
  });

  it(`gives up after ${MAX_DELIVERY_ATTEMPTS} attempts over about a day, counting each failure in the metrics`, async () => {
    const { org, owner, member, dispatcher } = await start();
    const webhook = await createdWebhook(t, owner.headers, org.id, { url: receiver.url, events: ['token.created'] });
    receiver.answer(...Array<number>(MAX_DELIVERY_ATTEMPTS + 1).fill(503));
    await createdToken(t, member.headers, org.id);
    // A day outlasts the session: the log is read with a token.
    const reader = bearer((await makeToken(t.ctx, org, owner.user, { scopes: ['keyward:admin'] })).secret);
    const startedAt = t.clock.now();
    for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
      expect(await dispatcher.runOnce(), `attempt ${attempt}`).toBe(1);
      const [latest] = await deliveries(org.id, webhook.id, reader);
      if (latest!.next_attempt_at !== null) t.clock.ms = Date.parse(latest!.next_attempt_at as string);
    }
    expect(t.clock.now() - startedAt).toBeGreaterThan(DAY_MS * 0.9);
    t.clock.advance(7 * DAY_MS);
    expect(await dispatcher.runOnce()).toBe(0);
    const log = await deliveries(org.id, webhook.id, reader);
    expect(log).toHaveLength(MAX_DELIVERY_ATTEMPTS);
    expect(log[0]).toMatchObject({ attempt: MAX_DELIVERY_ATTEMPTS, status: 'failed', response_status: 503, next_attempt_at: null });
    expect(await t.ctx.db.selectFrom('webhook_jobs').select('status').execute()).toEqual([{ status: 'failed' }]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`keyward_webhook_delivery_failures_total ${MAX_DELIVERY_ATTEMPTS}`);
    expect(metrics).toContain('keyward_webhook_outbox_depth 0');
  });

  it('reports the outbox depth while events wait', async () => {
    const { org, owner, member, dispatcher } = await start();
    await createdWebhook(t, owner.headers, org.id, { url: receiver.url });
    receiver.answer(500, 500);
    await createdToken(t, member.headers, org.id);
    await createdToken(t, member.headers, org.id);
    await dispatcher.runOnce();
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).body).toContain('keyward_webhook_outbox_depth 2');
  });

  it('does not follow a redirect, and records why an attempt got no answer', async () => {
    const { org, owner, member, dispatcher } = await start();
    const webhook = await createdWebhook(t, owner.headers, org.id, { url: receiver.url, events: ['token.created'] });
    receiver.answer(302);
    await createdToken(t, member.headers, org.id);
    await dispatcher.runOnce();
    expect(receiver.received).toHaveLength(1);
    expect((await deliveries(org.id, webhook.id, owner.headers))[0]).toMatchObject({ status: 'failed', response_status: 302, error: 'Redirects are not followed.' });

    await receiver.stop();
    t.clock.advance(60_000);
    await dispatcher.runOnce();
    expect((await deliveries(org.id, webhook.id, owner.headers))[0]).toMatchObject({ attempt: 2, status: 'failed', response_status: null, error: expect.stringContaining('ECONNREFUSED') });
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    const { org, owner, member } = await start();
    const webhook = await createdWebhook(t, owner.headers, org.id, { url: receiver.url, events: ['token.created'] });
    receiver.answer('hold');
    await createdToken(t, member.headers, org.id);
    await new WebhookDispatcher(t.ctx, { timeoutMs: 300 }).runOnce();
    expect((await deliveries(org.id, webhook.id, owner.headers))[0]).toMatchObject({ status: 'failed', error: 'No answer within 0.3 s.' });
  });

  it('on shutdown, records the delivery under way as failed and due again at once', async () => {
    const { org, owner, member } = await start();
    const webhook = await createdWebhook(t, owner.headers, org.id, { url: receiver.url, events: ['token.created'] });
    receiver.answer('hold');
    await createdToken(t, member.headers, org.id);
    const stopping = new WebhookDispatcher(t.ctx);
    const round = stopping.runOnce();
    await receiver.waitFor(1);
    await stopping.stop();
    await round;
    expect(await deliveries(org.id, webhook.id, owner.headers)).toMatchObject([
      { attempt: 1, status: 'failed', error: 'Keyward shut down before the endpoint answered.', next_attempt_at: new Date(t.clock.now()).toISOString() },
    ]);
    t.clock.advance(1);
    expect(await new WebhookDispatcher(t.ctx).runOnce()).toBe(1);
    expect((await deliveries(org.id, webhook.id, owner.headers))[0]).toMatchObject({ attempt: 2, status: 'delivered' });
    const [held, delivered] = receiver.verified(webhook.secret);
    expect(delivered!.id).toBe(held!.id);
  });

  it('fails an attempt whose signing secret does not open, sending nothing unsigned', async () => {
    const { org, member, dispatcher } = await start();
    const id = 'whk_0000000000000000000002';
    const foreignKey = webhookSealingKey(Buffer.alloc(32, 7));
    await insertWebhook(t.ctx.db, { id, orgId: org.id, url: receiver.url, events: null, description: null, sealedSecret: sealWebhookSecret(foreignKey, id, generateWebhookSecret()), createdBy: null, createdAt: t.clock.now() });
    await createdToken(t, member.headers, org.id);
    expect(await dispatcher.runOnce()).toBe(1);
    expect(receiver.received).toEqual([]);
    const [attempt] = await t.ctx.db.selectFrom('webhook_deliveries').selectAll().execute();
    expect(attempt).toMatchObject({ status: 'failed', error: expect.stringContaining('KEYWARD_PEPPER'), next_attempt_at: t.clock.now() + 5_000 });
  });

  it('stops sending to a deleted endpoint', async () => {
    const { org, owner, member, dispatcher } = await start();
    const webhook = await createdWebhook(t, owner.headers, org.id, { url: receiver.url });
    await createdToken(t, member.headers, org.id);
    await t.app.inject({ method: 'DELETE', url: webhooksUrl(org.id, `/${webhook.id}`), headers: owner.headers });
    expect(await dispatcher.runOnce()).toBe(0);
    expect(receiver.received).toEqual([]);
  });

  it('refuses at delivery a name that resolves to a private address (DNS rebinding)', async () => {
    const { org, member } = await start({ allowPrivate: false });
    const port = new URL(receiver.url).port;
    // As if the name had resolved to a public address when the webhook was created.
    const secret = generateWebhookSecret();
    const id = 'whk_0000000000000000000001';
    await insertWebhook(t.ctx.db, {
      id,
      orgId: org.id,
      url: `http://hooks.rebind.test:${port}/hooks`,
      events: null,
      description: null,
      sealedSecret: sealWebhookSecret(webhookSealingKey(t.ctx.pepper), id, secret),
      createdBy: null,
      createdAt: t.clock.now(),
    });
    await createdToken(t, member.headers, org.id);
    const rebinding = new WebhookDispatcher(t.ctx, {
      post: (request) => postWebhook({ ...request, resolveAll: async () => [{ address: '127.0.0.1', family: 4 }] }),
    });
    expect(await rebinding.runOnce()).toBe(1);
    expect(receiver.received).toEqual([]);
    const [attempt] = await t.ctx.db.selectFrom('webhook_deliveries').selectAll().execute();
    expect(attempt).toMatchObject({ status: 'failed', response_status: null, error: 'hooks.rebind.test resolves to 127.0.0.1, a loopback address.' });
  });

  it('fires token.leaked through the same hook when a leak is audited', async () => {
    const { org, owner, member, dispatcher } = await start();
    const webhook = await createdWebhook(t, owner.headers, org.id, { url: receiver.url, events: ['token.leaked'] });
    const token = await createdToken(t, member.headers, org.id);
    const now = t.clock.now();
    await t.ctx.db.transaction().execute(async (trx) => {
      await updateToken(trx, token.id, { revokedAt: now, revokedReason: 'leaked' });
      await recordAudit(trx, systemActor({ ip: null, userAgent: null }), { orgId: org.id, action: 'token.leaked', target: { type: 'token', id: token.id } }, now);
    });
    await dispatcher.runOnce();
    expect(receiver.verified(webhook.secret)).toEqual([
      expect.objectContaining({ type: 'token.leaked', data: { token: expect.objectContaining({ id: token.id, status: 'revoked' }), actor: { type: 'system', id: null, impersonator: null } } }),
    ]);
    expect(receiver.received[0]!.body).not.toContain(token.secret);
  });
});

describe('the lifecycle sweep', () => {
  it('fires token.expiring once per token, and token.expired once at expiry', async () => {
    // 17 days before now: once the sweep runs 17 days later the clock is the real time again.
    const clock = new FakeClock(Date.now() - 17 * DAY_MS);
    const { org, owner, member, dispatcher } = await start({ clock });
    const webhook = await createdWebhook(t, owner.headers, org.id, { url: receiver.url, events: ['token.expiring', 'token.expired'] });
    const tokens = [await makeToken(t.ctx, org, member.user, { expiresInDays: 30 }), await makeToken(t.ctx, org, member.user, { expiresInDays: 30 })];
    const later = await makeToken(t.ctx, org, member.user, { expiresInDays: 60 });

    expect((await sweepTokenLifecycle(t.ctx)).expiring).toEqual([]);
    clock.advanceDays(17);
    expect((await sweepTokenLifecycle(t.ctx)).expiring.sort()).toEqual(tokens.map((x) => x.id).sort());
    await sweepTokenLifecycle(t.ctx);
    expect(await dispatcher.runOnce()).toBe(2);
    clock.advance(3_600_000);
    await sweepTokenLifecycle(t.ctx);
    expect(await dispatcher.runOnce()).toBe(0);

    const events = receiver.verified(webhook.secret);
    expect(events.map((e) => e.type)).toEqual(['token.expiring', 'token.expiring']);
    expect(events.map((e) => e.data.token.id).sort()).toEqual(tokens.map((x) => x.id).sort());
    expect(events.map((e) => e.data.token.id)).not.toContain(later.id);
    for (const event of events) {
      expect(event.data.token).toMatchObject({ status: 'active', expiring_soon: true });
      expect(event.data.actor).toEqual({ type: 'system', id: null, impersonator: null });
    }

    clock.advanceDays(14);
    expect((await sweepTokenLifecycle(t.ctx)).expired.sort()).toEqual(tokens.map((x) => x.id).sort());
    await sweepTokenLifecycle(t.ctx);
    const expired = await t.ctx.db.selectFrom('webhook_jobs').selectAll().where('type', '=', 'token.expired').execute();
    expect(expired.map((j) => JSON.parse(j.payload).data.token.id).sort()).toEqual(tokens.map((x) => x.id).sort());
    expect(expired.every((j) => JSON.parse(j.payload).data.token.status === 'expired')).toBe(true);
  });
});
