import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERIFY_CODES } from '../../src/core/verify-codes.js';
import { CONTENT_SECURITY_POLICY } from '../../src/http/security-headers.js';
import { json, startTestApp, type TestApp } from '../harness.js';
import { TEST_STORE } from '../postgres.js';
import { isServedElsewhere, openApiPath, registeredRoutes } from './route-table.js';

type Operation = { responses?: Record<string, unknown>; security?: Record<string, string[]>[] };
type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string }>; schemas?: Record<string, unknown> };
  webhooks?: Record<string, { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, any> } }> } } }>;
};

/** The Redocly CLI of the dev dependencies, run as a third-party tool would be. */
const REDOCLY = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

const DOCUMENTED_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

let t: TestApp;
let doc: OpenApiDocument;
beforeAll(async () => {
  t = await startTestApp();
  const response = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  doc = json<OpenApiDocument>(response);
});
afterAll(() => t.close());

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1.0 with the bearer, X-API-Key and session cookie security schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer' },
      apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      sessionCookie: { type: 'apiKey', in: 'cookie', name: 'kw_session' },
    });
  });

  it('documents every route the app serves, method by method', () => {
    const routes = registeredRoutes(t.app).filter((r) => DOCUMENTED_METHODS.has(r.method) && !isServedElsewhere(r.path));
    expect(routes.map((r) => r.path)).toContain('/api/v1/me');
    const missing = routes.filter((r) => doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()] === undefined);
    expect(missing, 'routes missing from /openapi.json (schema.hide?)').toEqual([]);
  });

  it('gives every /api/v1 operation its success and error responses', () => {
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ at: `${method} ${path}`, operation })));
    expect(operations.length).toBeGreaterThan(0);
    for (const { at, operation } of operations) {
      const codes = Object.keys(operation.responses ?? {});
      expect(codes.some((code) => code.startsWith('2')), `${at} documents no 2xx response`).toBe(true);
      expect(codes.some((code) => code.startsWith('4')), `${at} documents no 4xx response`).toBe(true);
    }
  });

  it('names only defined security schemes', () => {
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const requirement of operation.security ?? []) {
          for (const name of Object.keys(requirement)) expect(schemes.has(name), `${method} ${path}: ${name}`).toBe(true);
        }
      }
    }
  });

  it('describes the webhook deliveries, one per event, carrying the token object', () => {
    expect(Object.keys(doc.webhooks ?? {})).toEqual(['token.created', 'token.revoked', 'token.rotated', 'token.expiring', 'token.expired', 'token.leaked']);
    const payload = doc.webhooks!['token.revoked']!.post.requestBody.content['application/json']!.schema;
    expect(payload.properties.data.properties.token).toEqual({ $ref: '#/components/schemas/Token' });
  });

  it('resolves every $ref inside the document', () => {
    const refs = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') refs.add(value);
          else walk(value);
        }
      }
    };
    walk(doc);
    for (const ref of refs) {
      expect(ref, 'only local references').toMatch(/^#\//);
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
      expect(target, `${ref} does not resolve`).toBeDefined();
    }
  });
});

describe('GET /docs', () => {
  it('serves the Swagger UI, which loads the document whose security schemes give it the Authorize button', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<div id="swagger-ui">');
    expect(page.body).toContain('swagger-initializer.js');

    const initializer = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.body).toContain("resolveUrl('./json')");
    const served = json<OpenApiDocument>(await t.app.inject({ method: 'GET', url: '/docs/json' }));
    expect(Object.keys(served.components.securitySchemes)).toEqual(expect.arrayContaining(['bearerAuth', 'apiKeyHeader', 'sessionCookie']));
    expect(Object.keys(served.paths).sort()).toEqual(Object.keys(doc.paths).sort());
  });
});

describe('the document as third-party tools meet it', () => {
  it('passes Redocly’s recommended ruleset with no error and no warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-openapi-'));
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const lint = spawnSync(process.execPath, [REDOCLY, 'lint', file, '--format=json'], { encoding: 'utf8', timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
    const report = JSON.parse(lint.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(lint.status).toBe(0);
  });

  it('declares every error as application/problem+json with the Problem schema', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          if (!status.startsWith('4') && !status.startsWith('5')) continue;
          if (path === '/readyz' && status === '503') continue;
          const content = (response as { content?: Record<string, { schema?: { $ref?: string } }> }).content ?? {};
          expect(Object.keys(content), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
          expect(content['application/problem+json']?.schema?.$ref).toBe('#/components/schemas/Problem');
        }
      }
    }
  });

  it('gives enums as enum lists, not unions of one-value schemas', () => {
    const token = doc.components.schemas?.Token as { properties: Record<string, { enum?: unknown[]; anyOf?: unknown }> };
    expect(token.properties.status?.enum).toEqual(['active', 'expired', 'revoked', 'disabled']);
    expect(token.properties.kind?.enum).toEqual(['api_key', 'jwt']);
    expect(JSON.stringify(doc)).not.toMatch(/"const":/);
  });

  it('lists exactly the verify codes the verify path produces', () => {
    const verify = doc.paths['/api/v1/verify']?.post as { description?: string };
    expect(verify.description).toContain(VERIFY_CODES.join(', '));
    expect(VERIFY_CODES).toContain('RATE_LIMITED');
    expect(VERIFY_CODES).toContain('USAGE_EXCEEDED');
  });

  it('marks public routes with an empty security requirement and rotate bodies as optional', () => {
    expect(doc.paths['/healthz']?.get?.security).toEqual([]);
    expect(doc.paths['/api/v1/session']?.post?.security).toEqual([]);
    const rotate = doc.paths['/api/v1/orgs/{org}/tokens/{id}/rotate']?.post as { requestBody?: { required?: boolean } };
    expect(rotate.requestBody?.required).toBe(false);
  });

  it('declares the challenge, Retry-After, Set-Cookie and Content-Disposition headers, and the CSRF request header', () => {
    const op = (path: string, method: string) => doc.paths[path]?.[method] as { responses: Record<string, { headers?: object }>; parameters?: { in: string; name: string }[] };
    expect(op('/api/v1/me', 'get').responses['401']?.headers).toHaveProperty('www-authenticate');
    expect(op('/api/v1/session', 'post').responses['429']?.headers).toHaveProperty('retry-after');
    expect(op('/api/v1/session', 'post').responses['200']?.headers).toHaveProperty('set-cookie');
    expect(op('/api/v1/orgs/{org}/audit-events', 'get').responses['200']?.headers).toHaveProperty('content-disposition');
    expect(op('/api/v1/orgs/{org}/tokens/{id}/revoke', 'post').parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'x-csrf-token' }));
  });

  // Cluster mode requires KEYWARD_PUBLIC_URL, so only the embedded store can leave it out.
  it.skipIf(TEST_STORE === 'postgres')('names a relative server URL unless KEYWARD_PUBLIC_URL is set', async () => {
    const local = await startTestApp({ env: { KEYWARD_PUBLIC_URL: '' } });
    const relative = json<{ servers: { url: string }[] }>(await local.app.inject({ method: 'GET', url: '/openapi.json' }));
    await local.close();
    expect(relative.servers).toEqual([{ url: '/' }]);
    expect((doc as unknown as { servers: { url: string }[] }).servers).toEqual([{ url: 'http://keyward.test' }]);
  });

  it('serves /docs titled Keyward under the portal’s content security policy', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.body).toContain('<title>Keyward API</title>');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });
});
