import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrap } from '../../src/services/bootstrap.js';
import { makeSignedInUser, PASSWORD, seedOrg } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

/**
 * Issue 9, finding 10 (DESIGN §3): every response that carries a secret has
 * `Cache-Control: no-store`, so no browser, proxy or CDN keeps a copy. The walk covers each one:
 * token create, impersonation create, rotate, self-rotate, verifier create, webhook create, setup
 * and sign-in; each case first proves that its response does carry a secret.
 */
let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const TOKEN = { name: 'ci', scopes: ['devices:read', 'keyward:tokens:write'], expires_in_days: 30 };

function carriesSecret(response: LightMyRequestResponse): boolean {
  const cookies = ([] as string[]).concat((response.headers['set-cookie'] as string[] | undefined) ?? []);
  return typeof json(response).secret === 'string' || cookies.some((c) => /^kw_session=[^;]+/.test(c));
}

describe('responses that carry a secret', () => {
  it('all say Cache-Control: no-store', async () => {
    const { org, owner, member } = await seedOrg(t.app, t.ctx);
    const siteAdmin = await makeSignedInUser(t.app, t.ctx, { siteAdmin: true });
    const post = (url: string, headers: Record<string, string>, payload?: object) =>
      t.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });

    const created = await post(`/api/v1/orgs/${org.id}/tokens`, owner.headers, TOKEN);
    const tokenId = json(created).token.id as string;
    const secret = json(created).secret as string;
    const impersonation = await post(`/api/v1/orgs/${org.id}/members/${member.user.id}/tokens`, owner.headers, { ...TOKEN, scopes: ['devices:read'] });
    const rotated = await post(`/api/v1/orgs/${org.id}/tokens/${tokenId}/rotate`, owner.headers, { grace_period_seconds: 60 });
    const selfRotated = await post('/api/v1/tokens/self/rotate', { authorization: `Bearer ${json(rotated).secret as string}` }, { grace_period_seconds: 0 });
    const verifier = await post('/api/v1/verifiers', siteAdmin.headers, { name: 'device-lab' });
    const webhook = await post(`/api/v1/orgs/${org.id}/webhooks`, owner.headers, { url: 'https://203.0.113.10/hooks/keyward' });
    const signIn = await post('/api/v1/session', {}, { email: member.user.email!, password: PASSWORD });

    const cases: [string, LightMyRequestResponse][] = [
      ['token create', created],
      ['impersonation create', impersonation],
      ['rotate', rotated],
      ['self-rotate', selfRotated],
      ['verifier create', verifier],
      ['webhook create', webhook],
      ['sign-in', signIn],
    ];
    expect(secret).toMatch(/^kw_/);
    for (const [what, response] of cases) {
      expect(response.statusCode, `${what}: ${response.body}`).toBeLessThan(300);
      expect(carriesSecret(response), what).toBe(true);
      expect(response.headers['cache-control'], what).toBe('no-store');
    }
  });

  it('include first-run setup, which signs the new site admin in', async () => {
    const outcome = await bootstrap(t.ctx);
    if (outcome.kind !== 'setup_link') throw new Error(`expected a setup link, got ${outcome.kind}`);
    const token = new URL(outcome.url).searchParams.get('token')!;
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      payload: { token, email: 'root@example.test', name: 'Root', password: PASSWORD },
    });
    expect(response.statusCode).toBe(201);
    expect(carriesSecret(response)).toBe(true);
    expect(response.headers['cache-control']).toBe('no-store');
  });
});
