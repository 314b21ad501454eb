import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeUser, PASSWORD, signIn } from '../factories.js';
import { json, startTestApp, type TestApp } from '../harness.js';

/**
 * Runs a whole token lifecycle through the API with the most verbose log level, collects every
 * secret the run handles (password, session, CSRF, token and verifier secrets) and searches
 * every log line for each of them, and for their random parts without the prefix.
 */
let t: TestApp;
beforeEach(async () => {
  t = await startTestApp({ logLevel: 'trace' });
});
afterEach(() => t.close());

describe('the server log', () => {
  it('holds no secret after a full token lifecycle', async () => {
    const secrets: string[] = [PASSWORD];
    const admin = await makeUser(t.ctx, { siteAdmin: true });
    const session = await signIn(t.app, admin);
    secrets.push(session.cookie.split(';')[0]!.split('=')[1]!, session['x-csrf-token']);
    let requests = 1; // the sign-in
    const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = session) => {
      // Verify's answers are summarized, not logged a line each (test/http/request-log.test.ts).
      if (url !== '/api/v1/verify') requests += 1;
      const response = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
      return response;
    };

    await call('POST', '/api/v1/session', { email: admin.email, password: 'a wrong password' }, {});
    const orgResponse = await call('POST', '/api/v1/orgs', { name: 'Acme', slug: 'acme', plan: 'enterprise', owner_email: admin.email });
    expect(orgResponse.statusCode).toBe(201);
    const org = json(orgResponse).id as string;

    const created = await call('POST', `/api/v1/orgs/${org}/tokens`, {
      name: 'ci',
      scopes: ['devices:read', 'keyward:tokens:read', 'keyward:tokens:write'],
      expires_in_days: 30,
    });
    expect(created.statusCode).toBe(201);
    const apiKey = json(created).secret as string;
    const tokenId = json(created).token.id as string;
    const jwt = await call('POST', `/api/v1/orgs/${org}/tokens`, { name: 'jwt', scopes: ['devices:read'], expires_in_days: 30, kind: 'jwt' });
    secrets.push(apiKey, json(jwt).secret as string);

    expect((await call('GET', '/api/v1/me', undefined, { authorization: `Bearer ${apiKey}` })).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/me', undefined, { 'x-api-key': apiKey })).statusCode).toBe(200);
    expect((await call('GET', `/api/v1/me?token=${apiKey}`, undefined, {})).statusCode).toBe(401);
    await call('PATCH', `/api/v1/orgs/${org}/tokens/${tokenId}`, { name: 'ci renamed' });

    const rotated = await call('POST', `/api/v1/orgs/${org}/tokens/${tokenId}/rotate`, { grace_period_seconds: 60 });
    expect(rotated.statusCode).toBe(201);
    const successor = json(rotated).secret as string;
    secrets.push(successor);
    const selfRotated = await call('POST', '/api/v1/tokens/self/rotate', { grace_period_seconds: 0 }, { authorization: `Bearer ${successor}` });
    expect(selfRotated.statusCode).toBe(201);
    const third = json(selfRotated).secret as string;
    secrets.push(third);

    const verifier = await call('POST', '/api/v1/verifiers', { name: 'device-lab' });
    expect(verifier.statusCode).toBe(201);
    const verifierSecret = json(verifier).secret as string;
    secrets.push(verifierSecret);
    const verified = await call('POST', '/api/v1/verify', { token: third, scopes: ['devices:read'] }, { authorization: `Bearer ${verifierSecret}` });
    expect(json(verified).valid).toBe(true);

    const thirdId = json(selfRotated).token.id as string;
    expect((await call('POST', `/api/v1/orgs/${org}/tokens/${thirdId}/revoke`, {})).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/me', undefined, { authorization: `Bearer ${third}` })).statusCode).toBe(401);
    await call('POST', '/api/v1/verify', { token: third }, { authorization: `Bearer ${verifierSecret}` });
    await call('DELETE', '/api/v1/session');

    await t.app.close(); // writes the summary of verify's answers too
    const log = t.logs.join('');
    expect(log).toContain('"POST /api/v1/verify 200":2');
    // One line per request, each naming its path (so the search below had every request to search).
    expect(t.logs.filter((line) => line.includes('"msg":"request completed"') && line.includes('"path":"/api/v1/')).length).toBe(requests);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10);
      expect(log).not.toContain(secret);
      // The random part alone must not leak either (e.g. a log that strips the prefix).
      const random = secret.includes('_') ? secret.slice(secret.indexOf('_') + 1) : secret;
      expect(log).not.toContain(random.slice(0, 24));
    }
  });
});
