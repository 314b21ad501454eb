import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_ROOT } from '../../src/http/routes/portal.js';
import { json, startTestApp, type TestApp } from '../harness.js';

const built = existsSync(`${PORTAL_ROOT}index.html`);
if (!built) console.warn('\n*** SKIPPING portal serving tests: the portal is not built (npm run build). ***\n');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe.skipIf(!built)('the portal at /', () => {
  it('serves index.html under a strict Content-Security-Policy', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);
    expect(response.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
  });

  it('serves index.html for the portal’s own paths, so deep links and reloads work', async () => {
    for (const url of ['/setup?token=abc', '/orgs/org_1/tokens', '/admin']) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toContain('<div id="root"></div>');
    }
  });

  it('keeps problem+json 404s for API paths, missing files and other methods', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/nothing'],
      ['GET', '/api'],
      ['GET', '/.well-known/nothing'],
      ['GET', '/assets/gone-1234.js'],
      ['POST', '/setup'],
    ] as const) {
      const response = await t.app.inject({ method, url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toContain('application/problem+json');
      expect(json(response).code).toBe('not_found');
    }
  });

  it('caches hashed bundles for good', async () => {
    const index = (await t.app.inject({ method: 'GET', url: '/' })).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1] as string;
    const response = await t.app.inject({ method: 'GET', url: script });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toContain('immutable');
  });

  it('stays out of the API document', async () => {
    const doc = json<{ paths: Record<string, unknown> }>(await t.app.inject({ method: 'GET', url: '/openapi.json' }));
    expect(Object.keys(doc.paths).filter((p) => p === '/' || p.startsWith('/assets') || p.includes('*'))).toEqual([]);
  });
});
