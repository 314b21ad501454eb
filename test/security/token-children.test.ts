import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser, signIn } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { bearer, NEW_TOKEN } from '../http/tokens/helpers.js';

/**
 * Issue 9, finding 2: a token mints children beyond itself. A token that creates (or rotates
 * another) token hands on no more than it has: the child ends no later than the parent's
 * effective end (its expiry, or the end of its rotation grace), and its IP allowlist lies within
 * the parent's (the parent's, when the request names none).
 */
let t: TestApp;
let org: Org;
let owner: User;
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx);
  owner = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'admin');
});
afterEach(() => t.close());

const DAY = 86_400_000;
const INSIDE = '10.1.2.3';
const WRITER = ['keyward:tokens:read', 'keyward:tokens:write', 'devices:read'];

/** A 30-day token allowed from 10.0.0.0/8 only, and a create call made with it from inside that range. */
async function restrictedParent(options: { expiresInDays?: number } = {}) {
  const parent = await makeToken(t.ctx, org, owner, { scopes: WRITER, ipAllowlist: ['10.0.0.0/8'], expiresInDays: options.expiresInDays ?? 30 });
  const create = (body: object, secret = parent.secret) =>
    t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: bearer(secret), remoteAddress: INSIDE, payload: body });
  return { parent, create };
}

describe('a token creating a token', () => {
  it('cannot give the child a longer life than its own (422 expiration_too_long)', async () => {
    const { create } = await restrictedParent();
    const response = await create({ ...NEW_TOKEN, expires_in_days: 365 });
    expect(response.statusCode, response.body).toBe(422);
    expect(json(response)).toMatchObject({ code: 'expiration_too_long', field: 'expires_in_days' });
    const custom = await create({ ...NEW_TOKEN, expires_in_days: undefined, expires_at: new Date(t.clock.now() + 31 * DAY).toISOString() });
    expect(custom.statusCode).toBe(422);
    expect(json(custom)).toMatchObject({ code: 'expiration_too_long', field: 'expires_at' });
  });

  it('measures from the parent\'s end, not from now: a day later a 30-day child is too long', async () => {
    const { create } = await restrictedParent();
    expect((await create(NEW_TOKEN)).statusCode).toBe(201);
    t.clock.advanceDays(1);
    const later = await create(NEW_TOKEN);
    expect(later.statusCode).toBe(422);
    expect(json(later).code).toBe('expiration_too_long');
    const within = await create({ ...NEW_TOKEN, expires_in_days: undefined, expires_at: new Date(t.clock.now() + 29 * DAY).toISOString() });
    expect(within.statusCode, within.body).toBe(201);
  });

  it('inherits the parent\'s allowlist when the request names none', async () => {
    const { create } = await restrictedParent();
    const response = await create(NEW_TOKEN);
    expect(response.statusCode, response.body).toBe(201);
    expect(json(response).token.ip_allowlist).toEqual(['10.0.0.0/8']);
  });

  it('accepts an allowlist within the parent\'s and refuses one beyond it, or an empty one (422 bound_exceeded)', async () => {
    const { create } = await restrictedParent();
    const narrower = await create({ ...NEW_TOKEN, ip_allowlist: ['10.1.0.0/16', '10.2.3.4'] });
    expect(narrower.statusCode, narrower.body).toBe(201);
    expect(json(narrower).token.ip_allowlist).toEqual(['10.1.0.0/16', '10.2.3.4']);
    for (const ip_allowlist of [[], ['192.168.1.1'], ['10.0.0.0/7'], ['10.1.0.0/16', '11.0.0.1'], ['::1']]) {
      const response = await create({ ...NEW_TOKEN, ip_allowlist });
      expect(response.statusCode, JSON.stringify(ip_allowlist)).toBe(422);
      expect(json(response)).toMatchObject({ code: 'bound_exceeded', field: 'ip_allowlist' });
    }
  });

  it('made no child in the refused attempts', async () => {
    const { create } = await restrictedParent();
    await create({ ...NEW_TOKEN, expires_in_days: 365 });
    await create({ ...NEW_TOKEN, ip_allowlist: [] });
    const rows = await t.ctx.db.selectFrom('tokens').select('id').where('owner_id', '=', owner.id).execute();
    expect(rows).toHaveLength(1);
  });

  it('bounds the child by the end of the parent\'s rotation grace', async () => {
    const { parent, create } = await restrictedParent();
    const session = await signIn(t.app, owner);
    const rotated = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${parent.id}/rotate`, headers: session, payload: { grace_period_seconds: 3600 } });
    expect(rotated.statusCode).toBe(201);
    const response = await create(NEW_TOKEN);
    expect(response.statusCode, response.body).toBe(422);
    expect(json(response).code).toBe('expiration_too_long');
    const inGrace = await create({ ...NEW_TOKEN, expires_in_days: undefined, expires_at: new Date(t.clock.now() + 30 * 60_000).toISOString() });
    expect(inGrace.statusCode, inGrace.body).toBe(201);
  });

  it('leaves an unrestricted parent free to choose an allowlist, within its own life', async () => {
    const parent = await makeToken(t.ctx, org, owner, { scopes: WRITER, expiresInDays: 90 });
    const create = (body: object) => t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: bearer(parent.secret), payload: body });
    const response = await create({ ...NEW_TOKEN, expires_in_days: 90, ip_allowlist: ['192.168.0.0/24'] });
    expect(response.statusCode, response.body).toBe(201);
    expect(json(response).token.ip_allowlist).toEqual(['192.168.0.0/24']);
    expect((await create({ ...NEW_TOKEN, expires_in_days: 180 })).statusCode).toBe(422);
  });

  it('does not bound tokens made in a session', async () => {
    const session = await signIn(t.app, owner);
    const response = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: session, payload: { ...NEW_TOKEN, expires_in_days: 365 } });
    expect(response.statusCode).toBe(201);
    expect(json(response).token.ip_allowlist).toEqual([]);
  });
});

describe('a token rotating another token', () => {
  it("gives the successor no longer a life than its own, and keeps the target's allowlist only within its own", async () => {
    const session = await signIn(t.app, owner);
    const long = json(
      await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: session, payload: { ...NEW_TOKEN, expires_in_days: 365 } }),
    ).token.id as string;
    const { parent } = await restrictedParent();
    const rotate = (id: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${id}/rotate`, headers: bearer(parent.secret), remoteAddress: INSIDE, payload: { grace_period_seconds: 0 } });
    // The target may be used from anywhere; the restricted parent cannot hand that on.
    const wide = await rotate(long);
    expect(wide.statusCode, wide.body).toBe(422);
    expect(json(wide)).toMatchObject({ code: 'bound_exceeded', field: 'ip_allowlist' });
    const narrow = json(
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/orgs/${org.id}/tokens`,
        headers: session,
        payload: { ...NEW_TOKEN, expires_in_days: 365, ip_allowlist: ['10.9.0.0/16'] },
      }),
    ).token.id as string;
    const rotated = await rotate(narrow);
    expect(rotated.statusCode, rotated.body).toBe(201);
    expect(Date.parse(json(rotated).token.expires_at)).toBe(t.clock.now() + 30 * DAY);
  });

  it('renews itself in full: self-rotation is not bounded by the token it replaces', async () => {
    const { parent } = await restrictedParent();
    t.clock.advanceDays(20);
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/tokens/self/rotate', headers: bearer(parent.secret), remoteAddress: INSIDE, payload: {} });
    expect(response.statusCode, response.body).toBe(201);
    expect(Date.parse(json(response).token.expires_at)).toBe(t.clock.now() + 30 * DAY);
    expect(json(response).token.ip_allowlist).toEqual(['10.0.0.0/8']);
  });
});
