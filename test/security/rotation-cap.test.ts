import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeOrg, makeSignedInUser, makeToken, makeVerifier, type SessionHeaders } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { bearer } from '../http/tokens/helpers.js';
import type { Org, User } from '../../src/core/model.js';

/**
 * Issue 9, finding 6: rotation got around the per-user cap (25 working tokens for a cap of 10 by
 * rotating with a 7-day grace again and again). A rotation chain holds at most two live secrets:
 * rotating a token whose predecessor is still in its grace period ends that grace now. And
 * predecessors in their grace period count toward the cap, so a rotation that keeps the old
 * secret alive needs room under it.
 */
let t: TestApp;
let org: Org;
let member: { user: User; headers: SessionHeaders };
let verifier: { secret: string };
beforeEach(async () => {
  t = await startTestApp();
  org = await makeOrg(t.ctx);
  member = await makeSignedInUser(t.app, t.ctx);
  await addMember(t.ctx, org, member.user, 'member');
  verifier = await makeVerifier(t.ctx);
});
afterEach(() => t.close());

const WEEK = 604_800;

const rotate = (id: string, grace: number, headers: Record<string, string> = member.headers) =>
  t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${id}/rotate`, headers, payload: { grace_period_seconds: grace } });

const verify = async (secret: string) =>
  json(await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: bearer(verifier.secret), payload: { token: secret } })).code as string;

type Rotated = { id: string; secret: string };
const rotated = (response: Awaited<ReturnType<typeof rotate>>): Rotated => {
  if (response.statusCode !== 201) throw new Error(`rotate failed: ${response.statusCode} ${response.body}`);
  const body = json(response);
  return { id: body.token.id, secret: body.secret };
};

describe('rotation and the per-user cap', () => {
  it('leaves at most two working secrets however often a chain is rotated with a 7-day grace', async () => {
    let current: Rotated = await makeToken(t.ctx, org, member.user);
    const secrets = [current.secret];
    for (let i = 0; i < 24; i++) {
      current = rotated(await rotate(current.id, WEEK));
      secrets.push(current.secret);
    }
    const codes = await Promise.all(secrets.map(verify));
    expect(codes.filter((c) => c === 'VALID')).toHaveLength(2);
    // The newest and the one it replaced, still in its grace.
    expect(codes.slice(-2)).toEqual(['VALID', 'VALID']);
    expect(new Set(codes.slice(0, -2))).toEqual(new Set(['REVOKED']));
  });

  it('ends the predecessor\'s grace when its successor is rotated, audited with the rotation', async () => {
    const first = await makeToken(t.ctx, org, member.user);
    const second = rotated(await rotate(first.id, WEEK));
    expect(await verify(first.secret)).toBe('VALID');
    const third = rotated(await rotate(second.id, WEEK));
    expect(await verify(first.secret)).toBe('REVOKED');
    expect(await verify(second.secret)).toBe('VALID');
    expect(await verify(third.secret)).toBe('VALID');
    const event = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'token.rotated').where('target_id', '=', second.id).executeTakeFirstOrThrow();
    expect(JSON.parse(String(event.details))).toMatchObject({ ended_grace_of: first.id });
    const listed = json(await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/tokens/${first.id}`, headers: member.headers }));
    expect(listed.status).toBe('revoked');
  });

  it('counts predecessors in their grace toward the cap: at the cap a rotation with grace is 422, without grace it goes through', async () => {
    const tokens = [];
    for (let i = 0; i < 10; i++) tokens.push(await makeToken(t.ctx, org, member.user, { name: `t${i}` }));
    const refused = await rotate(tokens[0]!.id, 3600);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(json(refused)).toMatchObject({ code: 'token_limit_reached', max_tokens_per_user: 10 });
    expect(await verify(tokens[0]!.secret)).toBe('VALID');
    expect(await t.ctx.db.selectFrom('tokens').select('id').where('rotated_from', '=', tokens[0]!.id).execute()).toEqual([]);
    const replaced = rotated(await rotate(tokens[0]!.id, 0));
    expect(await verify(tokens[0]!.secret)).toBe('REVOKED');
    expect(await verify(replaced.secret)).toBe('VALID');
  });

  it('lets a rotation with grace fill the last place, and the next rotation of the chain reuse it', async () => {
    const tokens = [];
    for (let i = 0; i < 9; i++) tokens.push(await makeToken(t.ctx, org, member.user, { name: `t${i}` }));
    const second = rotated(await rotate(tokens[0]!.id, 3600));
    const create = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: member.headers, payload: { name: 'one more', scopes: ['devices:read'], expires_in_days: 30 } });
    expect(create.statusCode).toBe(422);
    expect(json(create).code).toBe('token_limit_reached');
    // Rotating the successor ends the first token's grace: the chain still holds two places.
    expect((await rotate(second.id, 3600)).statusCode).toBe(201);
    expect(await verify(tokens[0]!.secret)).toBe('REVOKED');
  });

  it('applies to a token rotating itself', async () => {
    const own = await makeToken(t.ctx, org, member.user, { scopes: ['devices:read'] });
    for (let i = 0; i < 9; i++) await makeToken(t.ctx, org, member.user, { name: `t${i}` });
    const selfRotate = (secret: string, grace?: number) =>
      t.app.inject({ method: 'POST', url: '/api/v1/tokens/self/rotate', headers: bearer(secret), payload: grace === undefined ? {} : { grace_period_seconds: grace } });
    const refused = await selfRotate(own.secret);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(json(refused).code).toBe('token_limit_reached');
    expect((await selfRotate(own.secret, 0)).statusCode).toBe(201);
  });

  it('keeps the cap under concurrent rotations with grace: of two rotations into the last place one wins', async () => {
    const tokens = [];
    for (let i = 0; i < 9; i++) tokens.push(await makeToken(t.ctx, org, member.user, { name: `t${i}` }));
    const responses = await Promise.all([rotate(tokens[0]!.id, 3600), rotate(tokens[1]!.id, 3600), rotate(tokens[2]!.id, 3600)]);
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses, responses.map((r) => r.body).join('\n')).toEqual([201, 422, 422]);
    const live = await t.ctx.db
      .selectFrom('tokens')
      .select('id')
      .where('owner_id', '=', member.user.id)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', t.clock.now())]))
      .execute();
    expect(live).toHaveLength(10);
  });

  it('keeps two live secrets when the two newest of a chain are rotated at once', async () => {
    const first = await makeToken(t.ctx, org, member.user);
    const second = rotated(await rotate(first.id, WEEK));
    // Rotating the already-rotated first token is a 409; the chain's newest rotates once.
    const responses = await Promise.all([rotate(first.id, WEEK), rotate(second.id, WEEK), rotate(second.id, WEEK)]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    const chain = await t.ctx.db.selectFrom('tokens').select(['id', 'revoked_at']).where('owner_id', '=', member.user.id).execute();
    const live = chain.filter((row) => row.revoked_at === null || Number(row.revoked_at) > t.clock.now());
    expect(live).toHaveLength(2);
  });
});
