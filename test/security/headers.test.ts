import { existsSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/http/security-headers.js';
import { PORTAL_ROOT } from '../../src/http/routes/portal.js';
import { makeUser, PASSWORD } from '../factories.js';
import { startTestApp, type TestApp } from '../harness.js';

/**
 * The response headers a browser acts on: helmet's defaults on the pages it renders (the portal,
 * the API docs) with the portal's own content security policy, nosniff on every response, HSTS
 * behind https, each header sent once; CORS closed (no origin is ever allowed, a preflight is
 * refused); session cookies that are `Secure` exactly when the public URL is https.
 */
const built = existsSync(`${PORTAL_ROOT}index.html`);
if (!built) console.warn('\n*** SKIPPING the portal page header tests: the portal is not built (npm run build). ***\n');

/** What helmet sets by default, with the portal's stricter framing and referrer values. */
const HELMET_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/** The policy as a set of directives, whatever the separator a sender uses. */
const directives = (policy: unknown) =>
  String(policy)
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean)
    .sort();

/** A GET over a real socket: `rawHeaders` shows a header sent twice, which inject would merge. */
function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; raw: string[]; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, raw: res.rawHeaders, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function namesSentTwice(raw: string[]): string[] {
  const names = raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))].filter((n) => n !== 'set-cookie');
}

describe('over plain HTTP (KEYWARD_PUBLIC_URL http://…)', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  describe.skipIf(!built)('the portal pages', () => {
    it.each(['/', '/orgs/org_x/tokens'])('%s carries helmet’s headers, each once, and the portal’s policy', async (path) => {
      const response = await rawGet(base, path);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toContain('text/html');
      expect(namesSentTwice(response.raw)).toEqual([]);
      expect(response.headers).toMatchObject(HELMET_HEADERS);
      expect(directives(response.headers['content-security-policy'])).toEqual(directives(CONTENT_SECURITY_POLICY));
      expect(response.headers['x-powered-by']).toBeUndefined();
      // No promise of TLS from a deployment that is not behind it.
      expect(response.headers['strict-transport-security']).toBeUndefined();
    });

    it('a hashed bundle carries them too (nosniff above all), with its own caching', async () => {
      const index = await t.app.inject({ method: 'GET', url: '/' });
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)![1]!;
      const response = await rawGet(base, script);
      expect(response.status).toBe(200);
      expect(namesSentTwice(response.raw)).toEqual([]);
      expect(response.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=31536000, immutable' });
    });
  });

  it('the API docs carry them too, with the same policy (sent by Swagger UI), each once', async () => {
    const response = await rawGet(base, '/docs/');
    expect(response.status).toBe(200);
    expect(namesSentTwice(response.raw)).toEqual([]);
    expect(response.headers).toMatchObject(HELMET_HEADERS);
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  // The machine routes answer programs, not browsers: nosniff, without the cost of helmet's per-request middleware.
  it.each(['/api/v1/me', '/healthz', '/.well-known/jwks.json', '/openapi.json', '/api/v1/no-such-route'])('%s (JSON) is nosniff, each header once', async (path) => {
    const response = await rawGet(base, path);
    expect(namesSentTwice(response.raw)).toEqual([]);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  describe('CORS is closed', () => {
    const ORIGIN = 'https://evil.example';
    it.each(['/', '/api/v1/me', '/api/v1/orgs', '/.well-known/jwks.json', '/openapi.json', '/healthz'])('GET %s from another origin gets no Access-Control-* header', async (path) => {
      const response = await t.app.inject({ method: 'GET', url: path, headers: { origin: ORIGIN } });
      expect(Object.keys(response.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    });

    it.each(['/api/v1/orgs', '/api/v1/verify', '/api/v1/session', '/oauth/introspect'])('a preflight for POST %s is refused', async (path) => {
      const response = await t.app.inject({
        method: 'OPTIONS',
        url: path,
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      });
      expect(response.statusCode).toBe(405);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(Object.keys(response.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    });

    it('a cross-origin write with credentials is answered without allowing the origin to read it', async () => {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/session', headers: { origin: ORIGIN }, payload: { email: 'nobody@example.test', password: 'x' } });
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    });
  });

  it('session cookies are HttpOnly (the session) and SameSite=Lax, without Secure', async () => {
    const user = await makeUser(t.ctx);
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: user.email, password: PASSWORD } });
    expect(response.statusCode).toBe(200);
    const cookies = [response.headers['set-cookie']].flat() as string[];
    const session = cookies.find((c) => c.startsWith('kw_session='))!;
    const csrf = cookies.find((c) => c.startsWith('kw_csrf='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).not.toMatch(/; Secure/);
    expect(csrf).not.toMatch(/; Secure/);
    expect(csrf).not.toMatch(/; HttpOnly/);
  });
});

describe('behind TLS (KEYWARD_PUBLIC_URL https://…)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { KEYWARD_PUBLIC_URL: 'https://keyward.example' } });
  });
  afterAll(() => t.close());

  it.each(['/healthz', '/api/v1/me', ...(built ? ['/'] : [])])('sends HSTS on %s, once', async (path) => {
    const response = await t.app.inject({ method: 'GET', url: path });
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('marks both session cookies Secure, under the __Host- prefix, and signs out with Secure cookies too', async () => {
    const user = await makeUser(t.ctx);
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: user.email, password: PASSWORD } });
    expect(response.statusCode).toBe(200);
    const cookies = [response.headers['set-cookie']].flat() as string[];
    expect(cookies).toHaveLength(2);
    for (const cookie of cookies) {
      expect(cookie).toMatch(/^__Host-kw_(session|csrf)=/);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; Path=\//);
      expect(cookie).not.toMatch(/; Domain=/i);
    }
    const pairs = cookies.map((c) => c.split(';')[0]!);
    const csrf = pairs.find((p) => p.startsWith('__Host-kw_csrf='))!.split('=')[1]!;
    const out = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: pairs.join('; '), 'x-csrf-token': csrf } });
    expect(out.statusCode).toBeLessThan(300);
    for (const cookie of [out.headers['set-cookie']].flat() as string[]) expect(cookie).toMatch(/; Secure/);
  });
});
