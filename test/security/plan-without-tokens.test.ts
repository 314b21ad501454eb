import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org } from '../../src/core/model.js';
import { addMember, makeOrg, makeSignedInUser, makeToken, makeUser, makeVerifier, type SessionHeaders } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { bearer } from '../http/tokens/helpers.js';

/**
 * Issue 9, finding 8: moving an org to a plan without API tokens (config `plansWithoutTokens`,
 * default ["free"]) left its tokens VALID. While the plan lacks tokens every way of presenting
 * one refuses it as DISABLED, saying why; moving back restores them (nothing was written to the
 * tokens). The plan change drops the org's cached tokens, so a cached VALID does not outlive it.
 */
let t: TestApp;
let org: Org;
let site: { headers: SessionHeaders };
let verifier: { id: string; secret: string };
let token: { id: string; secret: string };
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx, { plan: 'enterprise' });
  site = await makeSignedInUser(t.app, t.ctx, { siteAdmin: true });
  const owner = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'member');
  verifier = await makeVerifier(t.ctx);
  token = await makeToken(t.ctx, org, owner, { scopes: ['devices:read', 'keyward:tokens:read'] });
});
afterEach(() => t.close());

const setPlan = async (plan: string) => {
  const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${org.id}`, headers: site.headers, payload: { plan } });
  expect(response.statusCode, response.body).toBe(200);
  return json(response);
};

const verify = async () =>
  json(await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: bearer(verifier.secret), payload: { token: token.secret } }));

const introspect = async () =>
  json(
    await t.app.inject({
      method: 'POST',
      url: '/oauth/introspect',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${verifier.id}:${verifier.secret}`).toString('base64')}`,
      },
      payload: `token=${token.secret}`,
    }),
  );

const check = () =>
  t.app.inject({
    method: 'GET',
    url: '/auth/check',
    headers: { authorization: `Bearer ${token.secret}`, 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices' },
  });

const management = () => t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens`, headers: bearer(token.secret) });

describe('an org moved to a plan without API tokens', () => {
  it('has its cached tokens refused by verify as DISABLED', async () => {
    expect((await verify()).code).toBe('VALID');
    const view = await setPlan('free');
    expect(view.tokens_enabled).toBe(false);
    expect(await verify()).toEqual({ valid: false, code: 'DISABLED' });
  });

  it('has them refused by introspection, forward auth and the management API, saying the plan lacks API tokens', async () => {
    expect((await introspect()).active).toBe(true);
    expect((await check()).statusCode).toBe(200);
    expect((await management()).statusCode).toBe(200);
    await setPlan('free');
    expect(await introspect()).toEqual({ active: false });
    for (const response of [await check(), await management()]) {
      expect(response.statusCode).toBe(401);
      expect(json(response).code).toBe('invalid_token');
      expect(json(response).detail).toMatch(/free plan does not include API tokens/);
      expect(response.headers['www-authenticate']).toMatch(/error="invalid_token", error_description=".*free plan does not include API tokens/);
    }
  });

  it('restores them when the org moves back to a plan with tokens', async () => {
    await setPlan('free');
    expect((await verify()).code).toBe('DISABLED');
    await setPlan('enterprise');
    expect((await verify()).code).toBe('VALID');
    expect((await management()).statusCode).toBe(200);
    const row = await t.ctx.db.selectFrom('tokens').select(['disabled_at', 'revoked_at']).where('id', '=', token.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ disabled_at: null, revoked_at: null });
  });

  it('follows the configured plans without tokens, moving between two plans that lack them', async () => {
    await t.close();
    const dir = mkdtempSync(join(tmpdir(), 'keyward-plans-'));
    const file = join(dir, 'keyward.json');
    writeFileSync(file, JSON.stringify({ plansWithoutTokens: ['trial', 'free'] }));
    t = await startTestApp({ env: { KEYWARD_CONFIG: file } });
    org = await makeOrg(t.ctx, { plan: 'essential' });
    site = await makeSignedInUser(t.app, t.ctx, { siteAdmin: true });
    const owner = await makeUser(t.ctx);
    await addMember(t.ctx, org, owner, 'member');
    verifier = await makeVerifier(t.ctx);
    token = await makeToken(t.ctx, org, owner);
    expect((await verify()).code).toBe('VALID');
    await setPlan('trial');
    expect((await verify()).code).toBe('DISABLED');
    await setPlan('free');
    expect((await verify()).code).toBe('DISABLED');
    await setPlan('essential');
    expect((await verify()).code).toBe('VALID');
    rmSync(dir, { recursive: true, force: true });
  });
});
