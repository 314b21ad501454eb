import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeOrg, makeSignedInUser, makeToken, makeVerifier, type SessionHeaders } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { Interleaver } from '../../interleave.js';

/**
 * A verify whose cache miss is in flight while a change that stops the token commits must not
 * leave the token's old record in the cache: the next verify after the change's response is
 * refused, wherever the two interleave.
 */
let t: TestApp;
let interleaver: Interleaver;
let verifier: string;
beforeEach(async () => {
  t = await startTestApp();
  interleaver = Interleaver.install(t.ctx);
  verifier = (await makeVerifier(t.ctx)).secret;
});
afterEach(async () => {
  await t.close();
  await interleaver.close();
});

async function verify(secret: string): Promise<string> {
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifier}` }, payload: { token: secret } });
  return json(response).code as string;
}

type Fixture = { orgId: string; tokenId: string; secret: string; ownerId: string; admin: SessionHeaders; siteAdmin: SessionHeaders };

async function fixture(): Promise<Fixture> {
  const org = await makeOrg(t.ctx);
  const site = await makeSignedInUser(t.app, t.ctx, { siteAdmin: true });
  const admin = await makeSignedInUser(t.app, t.ctx);
  const owner = await makeSignedInUser(t.app, t.ctx);
  await addMember(t.ctx, org, admin.user, 'owner');
  await addMember(t.ctx, org, owner.user, 'member');
  const token = await makeToken(t.ctx, org, owner.user);
  return { orgId: org.id, tokenId: token.id, secret: token.secret, ownerId: owner.user.id, admin: admin.headers, siteAdmin: site.headers };
}

const changes: [string, (f: Fixture) => Promise<number>, string][] = [
  ['revoke', async (f) => (await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${f.orgId}/tokens/${f.tokenId}/revoke`, headers: f.admin })).statusCode, 'REVOKED'],
  ['disable', async (f) => (await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${f.orgId}/tokens/${f.tokenId}/disable`, headers: f.admin })).statusCode, 'DISABLED'],
  ['member removal', async (f) => (await t.app.inject({ method: 'DELETE', url: `/api/v1/orgs/${f.orgId}/members/${f.ownerId}`, headers: f.admin })).statusCode, 'DISABLED'],
  ['owner deactivation', async (f) => (await t.app.inject({ method: 'POST', url: `/api/v1/users/${f.ownerId}/deactivate`, headers: f.siteAdmin })).statusCode, 'DISABLED'],
];

describe('a change that commits while a verify is loading the token', () => {
  it.each(changes)('%s: the next verify after the response is refused, at every await point', async (_name, change, expected) => {
    let points = 0;
    for (let k = 0; ; k++) {
      const f = await fixture();
      const { paused, result } = await interleaver.interleave(k, () => verify(f.secret), async () => expect(await change(f)).toBeLessThan(300));
      if (!paused) {
        expect(result).toBe('VALID');
        break;
      }
      points += 1;
      expect(await verify(f.secret), `paused before round trip ${k}`).toBe(expected);
    }
    // The miss path reads the token, its owner, org and membership, and the owner's role: several points.
    expect(points).toBeGreaterThanOrEqual(3);
  });
});
