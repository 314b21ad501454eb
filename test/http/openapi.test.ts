import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestApp, type TestApp } from '../harness.js';
import { isServedElsewhere, openApiPath, registeredRoutes } from './route-table.js';

type Operation = { responses?: Record<string, unknown>; security?: Record<string, string[]>[] };
type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string }>; schemas?: Record<string, unknown> };
};

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
