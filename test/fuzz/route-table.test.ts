import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRouteTable, DEVICE_LAB_ROUTES, type RouteRule } from '../../src/core/route-table.js';
import { bounded, FUZZ_TIMEOUT, params } from './budget.js';

/**
 * The forward-auth path matcher, fuzzed: it never throws or hangs, allows only plain absolute paths
 * a gateway and the API read alike, and allows exactly what a plain regex reading of the table allows.
 */
const table = compileRouteTable(DEVICE_LAB_ROUTES);

const SEGMENTS = [
  'api', 'v1', 'devices', 'device-requests', 'mark-vm-returned', 'clients', 'users', 'metrics', 'billing', 'invoices', 'charges', 'insights',
  'dev_1', 'usage', 'x', '', '.', '..', '%2e', '%2E%2e', '%2f', '%2F', '%5c', '%00', '%41', '\\', 'a b', 'é', '*', '{id}', ';', 'devices;x', 'DEVICES',
];
const METHODS = ['GET', 'get', 'HEAD', 'POST', 'PATCH', 'patch', 'DELETE', 'PUT', 'OPTIONS', 'TRACE', '', 'G\u0000ET', 'GET '];

const segment = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...SEGMENTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });
const path = fc.tuple(fc.constantFrom('/', '/', '/', '', '//', '\\'), fc.array(segment, { maxLength: 7 })).map(([lead, segments]) => lead + segments.join('/'));
const suffix = fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }).map((q) => `?${q}`), fc.string({ maxLength: 12 }).map((f) => `#${f}`));
const method = fc.oneof(fc.constantFrom(...METHODS), fc.string({ maxLength: 7 }));

/** The table as regular expressions: `{p}` one non-empty segment, a trailing `*` one or more. */
function referenceScope(rules: readonly RouteRule[], m: string, uri: string): string | null {
  const p = uri.split(/[?#]/, 1)[0]!;
  if (!p.startsWith('/') || /%2e|%2f|%5c|%00/i.test(p) || p.includes('\\') || p.includes('//')) return null;
  if (p.split('/').some((s) => s === '.' || s === '..')) return null;
  const upper = m.toUpperCase();
  for (const rule of rules) {
    if (rule.method !== upper && !(upper === 'HEAD' && rule.method === 'GET')) continue;
    const source = rule.path
      .split('/')
      .slice(1)
      .map((s, i, all) => (s === '*' && i === all.length - 1 ? '[^/]+(?:/[^/]+)*' : /^\{\w+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    if (new RegExp(`^/${source}$`).test(p)) return rule.scope;
  }
  return null;
}

describe('the forward-auth route table, fuzzed', () => {
  it('never throws, answers quickly, and allows exactly what the plain reading of the table allows', () => {
    fc.assert(
      fc.property(method, path, suffix, (m, p, s) => {
        const decision = bounded(200, 'scopeFor', () => table.scopeFor(m, p + s));
        expect(decision.allowed ? decision.scope : null).toBe(referenceScope(DEVICE_LAB_ROUTES, m, p + s));
      }),
      params(10_000),
    );
  }, FUZZ_TIMEOUT);

  it('allows only plain absolute paths: no dot segment, empty segment, backslash or encoded separator', () => {
    fc.assert(
      fc.property(method, path, suffix, (m, p, s) => {
        const decision = table.scopeFor(m, p + s);
        if (!decision.allowed) return;
        const plain = (p + s).split(/[?#]/, 1)[0]!;
        expect(plain.startsWith('/')).toBe(true);
        expect(plain).not.toMatch(/\/\/|\\|%2e|%2f|%5c|%00/i);
        expect(plain.split('/').slice(1)).not.toContain('..');
        expect(plain.split('/').slice(1)).not.toContain('.');
        expect(plain.split('/').slice(1)).not.toContain('');
        expect(DEVICE_LAB_ROUTES.map((r) => r.scope)).toContain(decision.scope);
      }),
      params(5000),
    );
  }, FUZZ_TIMEOUT);

  it('ignores the query string and the fragment, whatever they hold', () => {
    fc.assert(
      fc.property(method, path, fc.string({ maxLength: 30 }), (m, p, rest) => {
        fc.pre(!p.includes('?') && !p.includes('#'));
        expect(table.scopeFor(m, `${p}?${rest}`)).toEqual(table.scopeFor(m, p));
        expect(table.scopeFor(m, `${p}#${rest}`)).toEqual(table.scopeFor(m, p));
      }),
      params(3000),
    );
  }, FUZZ_TIMEOUT);

  it('lets every rule of any valid table through for its own paths, and refuses them with a dot segment inserted', () => {
    const literal = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,6}$/);
    const template = fc.tuple(fc.array(fc.oneof(literal, fc.constant('{id}')), { minLength: 1, maxLength: 4 }), fc.boolean());
    const rules = fc.array(fc.tuple(fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE'), template, fc.stringMatching(/^[a-z]{1,5}:[a-z]{1,5}$/)), { minLength: 1, maxLength: 6 });
    const value = fc.stringMatching(/^[A-Za-z0-9_~-]{1,8}$/);
    fc.assert(
      fc.property(rules, fc.array(value, { minLength: 6, maxLength: 6 }), fc.nat(), (spec, values, at) => {
        const raw: RouteRule[] = spec.map(([m, [segments, rest], scope]) => ({ method: m, path: `/${segments.join('/')}${rest ? '/*' : ''}`, scope }));
        const compiled = compileRouteTable(raw);
        for (const rule of raw) {
          let n = 0;
          const concrete = rule.path.split('/').map((s) => (s === '{id}' || s === '*' ? values[n++ % values.length]! : s)).join('/');
          const decision = compiled.scopeFor(rule.method, concrete);
          expect(decision.allowed, concrete).toBe(true);
          // The first rule that matches decides, as in the reference.
          expect(decision.allowed && decision.scope).toBe(referenceScope(raw, rule.method, concrete));
          const parts = concrete.split('/');
          parts.splice(1 + (at % (parts.length - 1)), 0, at % 2 === 0 ? '..' : '.');
          expect(compiled.scopeFor(rule.method, parts.join('/')).allowed).toBe(false);
        }
      }),
      params(1000),
    );
  }, FUZZ_TIMEOUT);

  it('refuses a malformed route file with an Error naming the entry, whatever the JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        try {
          const compiled = compileRouteTable(raw);
          expect(Array.isArray(raw)).toBe(true);
          for (const rule of compiled.rules) expect(rule.path.startsWith('/')).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(/route|list/);
        }
      }),
      params(3000),
    );
  }, FUZZ_TIMEOUT);

  it('stays linear on huge URIs', () => {
    for (const uri of [`/${'a/'.repeat(100_000)}`, `/api/v1/insights/${'x/'.repeat(100_000)}y`, `/${'%'.repeat(200_000)}`, `/api/v1/devices?${'&'.repeat(200_000)}`]) {
      bounded(2000, `uri of ${uri.length}`, () => table.scopeFor('GET', uri));
    }
  });
});
