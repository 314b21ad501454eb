import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeServiceAccount, makeToken, seedOrg } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { auditRows, bearer, createdToken, me, tokenAction } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

function selfRotate(headers: Record<string, string>, payload?: object) {
  return t.app.inject({ method: 'POST', url: '/api/v1/tokens/self/rotate', headers, ...(payload ? { payload } : {}) });
}

describe('POST /api/v1/tokens/self/rotate', () => {
  it('rotates the presented token, keeping it valid for an hour by default', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    // A CI token with product scopes only: possession is enough to rotate itself.
    const old = await makeToken(t.ctx, org, member.user, { scopes: ['devices:read'] });
    const response = await selfRotate(bearer(old.secret));
    expect(response.statusCode).toBe(201);
    const { token, secret } = json(response);
    expect(token).toMatchObject({ rotated_from: old.id, scopes: ['devices:read'], owner: { id: member.user.id } });
    expect((await me(t, old.secret)).statusCode).toBe(200);
    t.clock.advance(3600_000);
    expect((await me(t, old.secret)).statusCode).toBe(401);
    expect((await me(t, secret)).statusCode).toBe(200);
    expect((await auditRows(t)).some((e) => e.action === 'token.rotated' && e.target_id === old.id)).toBe(true);
  });

  it('takes a grace period and the X-API-Key header', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const old = await makeToken(t.ctx, org, member.user);
    const response = await selfRotate({ 'x-api-key': old.secret }, { grace_period_seconds: 0 });
    expect(response.statusCode).toBe(201);
    expect((await me(t, old.secret)).statusCode).toBe(401);
  });

  it('revokes the whole rotation chain when a rotated-away token comes back after its grace', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const first = await createdToken(t, member.headers, org.id);
    const second = json(await selfRotate(bearer(first.secret), { grace_period_seconds: 60 }));
    const third = json(await selfRotate(bearer(second.secret), { grace_period_seconds: 60 }));
    expect((await me(t, third.secret)).statusCode).toBe(200);
    t.clock.advance(61_000);
    const reuse = await selfRotate(bearer(first.secret));
    expect(reuse.statusCode).toBe(401);
    expect(json(reuse).code).toBe('invalid_token');
    expect(reuse.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await me(t, third.secret)).statusCode).toBe(401);
    const detected = (await auditRows(t)).filter((e) => e.action === 'token.reuse_detected');
    expect(detected).toHaveLength(1);
    expect(detected[0]!.target_id).toBe(first.id);
    expect(JSON.parse(detected[0]!.details).revoked).toEqual([third.token.id]);
    // Each revoked token has its own token.revoked, which is what its webhooks report.
    const revokedEvent = (await auditRows(t)).filter((e) => e.action === 'token.revoked' && e.target_id === third.token.id);
    expect(revokedEvent).toHaveLength(1);
    expect(JSON.parse(revokedEvent[0]!.details)).toMatchObject({ reason: 'reuse_detected', reused: first.id });
    const list = json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens`, headers: member.headers }));
    expect(list.data.map((d: { status: string }) => d.status)).toEqual(['revoked', 'revoked', 'revoked']);
  });

  it('notices a reused token before it looks at the body', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const old = await makeToken(t.ctx, org, member.user);
    expect((await selfRotate(bearer(old.secret), { grace_period_seconds: 0 })).statusCode).toBe(201);
    const reuse = await selfRotate(bearer(old.secret), { grace_period_seconds: 'soon' });
    expect(reuse.statusCode).toBe(401);
    expect(json(reuse).code).toBe('invalid_token');
    expect((await auditRows(t)).filter((e) => e.action === 'token.reuse_detected')).toHaveLength(1);
  });

  it('answers 409 to a token inside its grace period, which was already rotated', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const old = await makeToken(t.ctx, org, member.user);
    expect((await selfRotate(bearer(old.secret))).statusCode).toBe(201);
    const again = await selfRotate(bearer(old.secret));
    expect(again.statusCode).toBe(409);
  });

  it('answers 400 for a grace period beyond 7 days', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const old = await makeToken(t.ctx, org, member.user);
    const response = await selfRotate(bearer(old.secret), { grace_period_seconds: 700_000 });
    expect(response.statusCode).toBe(400);
    expect(json(response).code).toBe('validation_failed');
  });

  it('answers 401 with a bare challenge without a token, even with a session', async () => {
    const { member } = await seedOrg(t.app, t.ctx);
    for (const headers of [{}, member.headers]) {
      const response = await selfRotate(headers);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="keyward"');
    }
  });

  it('answers 401 invalid_token for a revoked or unknown token', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const { id, secret } = await createdToken(t, member.headers, org.id);
    await tokenAction(t, member.headers, org.id, id, 'revoke');
    for (const presented of [secret, 'kw_nope']) {
      const response = await selfRotate(bearer(presented));
      expect(response.statusCode).toBe(401);
      expect(json(response).code).toBe('invalid_token');
    }
    expect((await auditRows(t)).some((e) => e.action === 'token.reuse_detected')).toBe(false);
  });

  it('answers 403 to a person whose org turned self-service off, since rotating mints a token', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { policy: { self_service: false } });
    const old = await makeToken(t.ctx, org, member.user);
    const response = await selfRotate(bearer(old.secret));
    expect(response.statusCode).toBe(403);
    expect(json(response).code).toBe('forbidden');
    expect((await me(t, old.secret)).statusCode).toBe(200);
  });

  it("lets a service account's token rotate itself by possession, self-service or not", async () => {
    const { org } = await seedOrg(t.app, t.ctx, { policy: { self_service: false } });
    const bot = await makeServiceAccount(t.ctx, org);
    const old = await makeToken(t.ctx, org, bot);
    const response = await selfRotate(bearer(old.secret), { grace_period_seconds: 0 });
    expect(response.statusCode).toBe(201);
    expect(json(response).token).toMatchObject({ owner: { type: 'service_account', id: bot.id } });
  });

  it('answers 422 scope_not_allowed for a scope the org no longer offers', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx);
    const old = await makeToken(t.ctx, org, member.user, { scopes: ['devices:read', 'insights:read'] });
    const response = await selfRotate(bearer(old.secret));
    expect(response.statusCode).toBe(422);
    expect(json(response).code).toBe('scope_not_allowed');
  });

  // Issue 9, finding 8: while the plan lacks tokens they do not work at all (test/security/plan-without-tokens.test.ts).
  it('answers 401 invalid_token when the org plan lacks tokens, saying so', async () => {
    const { org, member } = await seedOrg(t.app, t.ctx, { plan: 'free' });
    const old = await makeToken(t.ctx, org, member.user);
    const response = await selfRotate(bearer(old.secret));
    expect(response.statusCode).toBe(401);
    expect(json(response)).toMatchObject({ code: 'invalid_token', detail: "The organization's free plan does not include API tokens." });
  });
});
