import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeServiceAccount, makeSignedInUser, makeToken, type SessionHeaders } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { bearer, NEW_TOKEN } from '../http/tokens/helpers.js';

/**
 * Issue 9, finding 7: a service account's token managed its own siblings without `tokens.manage`.
 * Only holders of `tokens.manage` create and manage a service account's tokens; a token of the
 * account acts on itself only (rotates, revokes itself), and its siblings are as invisible to it
 * as another member's tokens are to a member (404).
 */
let t: TestApp;
let org: Org;
let bot: User;
let admin: { user: User; headers: SessionHeaders };
let self: { id: string; secret: string };
let sibling: { id: string; secret: string };
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx);
  admin = await makeSignedInUser(t.app, t.ctx);
  await addMember(t.ctx, org, admin.user, 'admin');
  bot = await makeServiceAccount(t.ctx, org);
  self = await makeToken(t.ctx, org, bot, { scopes: ['keyward:tokens:read', 'keyward:tokens:write', 'devices:read'] });
  sibling = await makeToken(t.ctx, org, bot, { name: 'sibling' });
});
afterEach(() => t.close());

const tokens = () => `/api/v1/orgs/${org.id}/tokens`;
const asBot = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(self.secret), ...(payload ? { payload } : {}) });

describe("a service account's token", () => {
  it('cannot create tokens for its account (403), neither by default nor by naming the account', async () => {
    for (const body of [NEW_TOKEN, { ...NEW_TOKEN, owner_id: bot.id }]) {
      const response = await asBot('POST', tokens(), body);
      expect(response.statusCode, response.body).toBe(403);
      expect(json(response).code).toBe('forbidden');
    }
    const rows = await t.ctx.db.selectFrom('tokens').select('id').where('owner_id', '=', bot.id).execute();
    expect(rows).toHaveLength(2);
  });

  for (const action of ['revoke', 'disable', 'rotate'] as const) {
    it(`cannot ${action} a sibling (404), which keeps working`, async () => {
      const response = await asBot('POST', `${tokens()}/${sibling.id}/${action}`, action === 'rotate' ? { grace_period_seconds: 0 } : {});
      expect(response.statusCode, response.body).toBe(404);
      const row = await t.ctx.db.selectFrom('tokens').select(['revoked_at', 'disabled_at', 'replaced_by']).where('id', '=', sibling.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ revoked_at: null, disabled_at: null, replaced_by: null });
    });
  }

  it('cannot read or rename a sibling, and lists only itself', async () => {
    expect((await asBot('GET', `${tokens()}/${sibling.id}`)).statusCode).toBe(404);
    expect((await asBot('PATCH', `${tokens()}/${sibling.id}`, { name: 'hijacked' })).statusCode).toBe(404);
    const listed = json(await asBot('GET', `${tokens()}?owner=me`));
    expect(listed.data.map((token: { id: string }) => token.id)).toEqual([self.id]);
    expect((await asBot('GET', `${tokens()}?owner=${bot.id}`)).statusCode).toBe(200);
    expect(json(await asBot('GET', `${tokens()}?owner=${bot.id}`)).data.map((token: { id: string }) => token.id)).toEqual([self.id]);
  });

  it('rotates itself, through the org route and the self route', async () => {
    const viaOrg = await asBot('POST', `${tokens()}/${self.id}/rotate`, { grace_period_seconds: 60 });
    expect(viaOrg.statusCode, viaOrg.body).toBe(201);
    const successor = json(viaOrg).secret as string;
    const viaSelf = await t.app.inject({ method: 'POST', url: '/api/v1/tokens/self/rotate', headers: bearer(successor), payload: { grace_period_seconds: 0 } });
    expect(viaSelf.statusCode, viaSelf.body).toBe(201);
  });

  it('revokes itself', async () => {
    const response = await asBot('POST', `${tokens()}/${self.id}/revoke`, {});
    expect(response.statusCode).toBe(200);
    expect(json(response).status).toBe('revoked');
  });
});

describe("a tokens.manage holder and a service account's tokens", () => {
  it('creates, revokes and disables them', async () => {
    const created = await t.app.inject({ method: 'POST', url: tokens(), headers: admin.headers, payload: { ...NEW_TOKEN, owner_id: bot.id } });
    expect(created.statusCode, created.body).toBe(201);
    const disable = await t.app.inject({ method: 'POST', url: `${tokens()}/${sibling.id}/disable`, headers: admin.headers, payload: {} });
    expect(disable.statusCode).toBe(200);
    const revoke = await t.app.inject({ method: 'POST', url: `${tokens()}/${self.id}/revoke`, headers: admin.headers, payload: {} });
    expect(revoke.statusCode).toBe(200);
  });

  it('may give the account tokens.manage, which then reaches the siblings', async () => {
    await t.ctx.db.updateTable('memberships').set({ role: 'admin' }).where('user_id', '=', bot.id).execute();
    const response = await asBot('POST', `${tokens()}/${sibling.id}/revoke`, {});
    expect(response.statusCode, response.body).toBe(200);
  });
});
