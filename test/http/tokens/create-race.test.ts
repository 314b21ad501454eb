import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, makeOrg, makeSignedInUser, makeVerifier } from '../../factories.js';
import { json, startTestApp, type TestApp } from '../../harness.js';
import { Interleaver } from '../../interleave.js';
import { NEW_TOKEN } from './helpers.js';

/**
 * A token minted while its owner is being removed or deactivated must not come out enabled: the
 * owner's standing is checked inside the transaction that stores the token. Wherever the removal
 * lands, once the owner is back the token does not work (or was never made).
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

type Case = { leave: (org: string, user: string) => Promise<number>; comeBack: (org: string, user: string) => Promise<number> };

describe('a token created while its owner leaves', () => {
  const setup = async () => {
    const org = await makeOrg(t.ctx);
    const site = await makeSignedInUser(t.app, t.ctx, { siteAdmin: true });
    const admin = await makeSignedInUser(t.app, t.ctx);
    const member = await makeSignedInUser(t.app, t.ctx);
    await addMember(t.ctx, org, admin.user, 'owner');
    await addMember(t.ctx, org, member.user, 'member');
    const inject = async (method: 'POST' | 'DELETE', url: string, headers: object, payload?: object) =>
      (await t.app.inject({ method, url, headers: headers as Record<string, string>, ...(payload ? { payload } : {}) })).statusCode;
    const cases: Record<string, Case> = {
      removal: {
        leave: (o, u) => inject('DELETE', `/api/v1/orgs/${o}/members/${u}`, admin.headers),
        comeBack: (o, u) => inject('POST', `/api/v1/orgs/${o}/members`, admin.headers, { user_id: u, role: 'member' }),
      },
      deactivation: {
        leave: (_o, u) => inject('POST', `/api/v1/users/${u}/deactivate`, site.headers),
        comeBack: (_o, u) => inject('POST', `/api/v1/users/${u}/reactivate`, site.headers),
      },
    };
    return { org, member, cases };
  };

  it.each(['removal', 'deactivation'])('%s: never leaves an enabled token, at every await point of the create', async (which) => {
    let points = 0;
    for (let k = 0; ; k++) {
      const { org, member, cases } = await setup();
      const change = cases[which]!;
      const { paused, result } = await interleaver.interleave(
        k,
        // Awaited inside, so the request is sent within the tracked work (inject sends on `then`).
        async () => await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens`, headers: member.headers, payload: NEW_TOKEN }),
        async () => expect(await change.leave(org.id, member.user.id)).toBeLessThan(300),
      );
      if (!paused) break;
      points += 1;
      expect(await change.comeBack(org.id, member.user.id)).toBeLessThan(300);
      if (result.statusCode === 201) expect(await verify(json(result).secret as string), `paused before round trip ${k}`).not.toBe('VALID');
      else expect([401, 403, 404, 422], result.body).toContain(result.statusCode);
    }
    expect(points).toBeGreaterThanOrEqual(3);
  });
});
