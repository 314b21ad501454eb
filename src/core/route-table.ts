/**
 * The forward-auth route table (DESIGN §4): which scope each method and path of the product's API
 * needs. A path segment `{name}` matches one segment; a trailing `*` matches one or more. Anything
 * unmatched is denied, and so is any path a gateway and the API behind it might read differently.
 */
export type RouteRule = { method: string; path: string; scope: string };

type CompiledRule = { method: string; segments: string[]; rest: boolean; scope: string };

export type RouteTable = { rules: readonly RouteRule[]; scopeFor(method: string, uri: string): RouteDecision };

export type RouteDecision = { allowed: true; scope: string } | { allowed: false; reason: string };

/** The device-lab API's routes, the default table. */
export const DEVICE_LAB_ROUTES: readonly RouteRule[] = [
  { method: 'GET', path: '/api/v1/devices', scope: 'devices:read' },
  { method: 'GET', path: '/api/v1/devices/{id}', scope: 'devices:read' },
  { method: 'PATCH', path: '/api/v1/devices/{id}', scope: 'devices:write' },
  { method: 'GET', path: '/api/v1/device-requests', scope: 'device_requests:read' },
  { method: 'GET', path: '/api/v1/device-requests/{id}', scope: 'device_requests:read' },
  { method: 'POST', path: '/api/v1/device-requests', scope: 'device_requests:write' },
  { method: 'PATCH', path: '/api/v1/device-requests/{id}', scope: 'device_requests:write' },
  { method: 'POST', path: '/api/v1/device-requests/{id}/mark-vm-returned', scope: 'device_requests:write' },
  { method: 'GET', path: '/api/v1/clients', scope: 'clients:read' },
  { method: 'GET', path: '/api/v1/clients/{id}', scope: 'clients:read' },
  { method: 'POST', path: '/api/v1/clients', scope: 'clients:write' },
  { method: 'PATCH', path: '/api/v1/clients/{id}', scope: 'clients:write' },
  { method: 'DELETE', path: '/api/v1/clients/{id}', scope: 'clients:write' },
  { method: 'GET', path: '/api/v1/users', scope: 'users:read' },
  { method: 'GET', path: '/api/v1/users/{id}', scope: 'users:read' },
  { method: 'GET', path: '/api/v1/metrics', scope: 'metrics:read' },
  { method: 'GET', path: '/api/v1/billing/invoices', scope: 'billing:read' },
  { method: 'GET', path: '/api/v1/billing/invoices/{id}', scope: 'billing:read' },
  { method: 'GET', path: '/api/v1/billing/charges', scope: 'billing:read' },
  { method: 'GET', path: '/api/v1/insights/*', scope: 'insights:read' },
];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const PARAMETER = /^\{[A-Za-z_][A-Za-z0-9_]*\}$/;
const LITERAL = /^[A-Za-z0-9._~!$&'()+,;=:@-]+$/;

/** Checks and compiles a route list (from KEYWARD_ROUTES_FILE); throws naming the first bad entry. */
export function compileRouteTable(raw: unknown): RouteTable {
  if (!Array.isArray(raw)) throw new Error('the route table must be a JSON list of {method, path, scope}');
  const rules = raw.map((entry: unknown, index): RouteRule => {
    const { method, path, scope } = (entry ?? {}) as Record<string, unknown>;
    if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) throw new Error(`route ${index}: method must be one of ${[...METHODS].join(', ')}`);
    if (typeof scope !== 'string' || scope === '') throw new Error(`route ${index}: scope must be a scope name`);
    if (typeof path !== 'string' || !path.startsWith('/')) throw new Error(`route ${index}: path must start with /`);
    const segments = path.split('/').slice(1);
    segments.forEach((segment, i) => {
      const last = i === segments.length - 1;
      if (!(PARAMETER.test(segment) || (segment === '*' && last) || (LITERAL.test(segment) && segment !== '.' && segment !== '..'))) {
        throw new Error(`route ${index}: "${segment}" is not a path segment, a {parameter} or a trailing *`);
      }
    });
    return { method: method.toUpperCase(), path, scope };
  });
  const compiled: CompiledRule[] = rules.map((rule) => {
    const segments = rule.path.split('/').slice(1);
    const rest = segments[segments.length - 1] === '*';
    return { method: rule.method, segments: rest ? segments.slice(0, -1) : segments, rest, scope: rule.scope };
  });
  return {
    rules,
    scopeFor(method, uri) {
      const path = safePath(uri);
      if (typeof path !== 'string') return path;
      const upper = method.toUpperCase();
      // HEAD is a GET without the body: it needs what GET needs.
      const wanted = upper === 'HEAD' ? ['HEAD', 'GET'] : [upper];
      const segments = path.split('/').slice(1);
      for (const rule of compiled) if (wanted.includes(rule.method) && matches(rule, segments)) return { allowed: true, scope: rule.scope };
      return { allowed: false, reason: `No route of the API matches ${upper} ${path}.` };
    },
  };
}

function matches(rule: CompiledRule, segments: string[]): boolean {
  if (rule.rest ? segments.length <= rule.segments.length : segments.length !== rule.segments.length) return false;
  for (let i = 0; i < rule.segments.length; i++) {
    const expected = rule.segments[i]!;
    if (!PARAMETER.test(expected) && expected !== segments[i]) return false;
    if (segments[i] === '') return false;
  }
  return !rule.rest || segments.slice(rule.segments.length).every((s) => s !== '');
}

/**
 * The path of the original request URI (the query dropped), or a refusal when it holds anything
 * a gateway and the API behind it could resolve differently: dot segments, empty segments, encoded
 * dots or slashes, backslashes, or anything but a plain absolute path.
 */
function safePath(uri: string): string | { allowed: false; reason: string } {
  const path = uri.split(/[?#]/, 1)[0]!;
  const refuse = (why: string) => ({ allowed: false as const, reason: `The path is refused: ${why}.` });
  if (!path.startsWith('/')) return refuse('it is not an absolute path');
  if (/%2e|%2f|%5c|%00/i.test(path)) return refuse('it holds an encoded dot, slash, backslash or NUL');
  if (path.includes('\\')) return refuse('it holds a backslash');
  if (path.includes('//')) return refuse('it holds an empty segment');
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) return refuse('it holds a dot segment');
  // Nothing is normalized (a trailing slash, say): the table names exactly what is allowed.
  return path;
}
