import type { FastifyInstance } from 'fastify';
import { isPortalRoute } from '../../src/http/routes/portal.js';

export type RegisteredRoute = { path: string; method: string };

/**
 * Every route the app serves, read from Fastify's own route tree, so routes added later are
 * covered without touching the tests that use it. Each printed line is a path segment appended
 * to its parent's.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const pathAtDepth: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) {
      if (line.includes('── ')) throw new Error(`unreadable route tree line: ${line}`);
      continue;
    }
    const depth = match[1]!.length / 4;
    const path = (depth > 0 ? pathAtDepth[depth - 1]! : '') + match[2]!;
    pathAtDepth[depth] = path;
    for (const method of match[3]?.split(', ') ?? []) routes.push({ path, method });
  }
  return routes;
}

/** Fastify's `/orgs/:org` (with an optional regex) is OpenAPI's `/orgs/{org}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)(\([^)]*\))?/g, '{$1}').replace(/\*/g, '{*}');
}

/** Served by Swagger UI or the portal's static files rather than by Keyward's own routes. */
// Envoy's form of forward auth (`/auth/check/<original path>`) has no OpenAPI path; /auth/check describes it.
export const isServedElsewhere = (path: string) =>
  path === '/docs' || path.startsWith('/docs/') || path === '/openapi.json' || /^\/auth\/check\/?\*$/.test(path) || isPortalRoute(path);
