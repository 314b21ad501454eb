import { afterEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/core/token-format.js';
import { makeVerifier } from '../factories.js';
import { startTestApp, type TestApp } from '../harness.js';

/**
 * One log line per request, on its answer, with method, path and status; the routes resource
 * servers and gateways call for every request of theirs are summed up instead.
 */
let t: TestApp;
afterEach(() => t.close());

const lines = () => t.logs.map((line) => JSON.parse(line) as Record<string, any>);

describe('the request log', () => {
  it('writes one line per request, when it is answered', async () => {
    t = await startTestApp();
    await t.app.inject({ method: 'GET', url: '/api/v1/me?secret=hidden' });
    const logged = lines().filter((l) => l.msg === 'request completed');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ req: { method: 'GET', path: '/api/v1/me' }, res: { statusCode: 401 } });
    expect(lines().some((l) => l.msg === 'incoming request')).toBe(false);
    expect(t.logs.join('')).not.toContain('hidden');
  });

  it('sums up verify and forward-auth answers by route and status, and writes the sum on close', async () => {
    t = await startTestApp();
    const verifier = (await makeVerifier(t.ctx)).secret;
    for (let i = 0; i < 3; i++) {
      await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifier}` }, payload: { token: generateApiKey('kw') } });
    }
    await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: 'Bearer kwv_wrong' }, payload: { token: 'x' } });
    await t.app.inject({ method: 'GET', url: '/auth/check', headers: { 'x-original-method': 'GET', 'x-original-uri': '/api/v1/devices' } });
    expect(lines().filter((l) => l.msg === 'request completed')).toEqual([]);
    await t.app.close();
    const summaries = lines().filter((l) => l.msg === 'answers summarized');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.answers).toEqual({ 'POST /api/v1/verify 200': 3, 'POST /api/v1/verify 401': 1, 'GET /auth/check 401': 1 });
  });
});
