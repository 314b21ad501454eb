import fastifyStatic, { type SetHeadersResponse } from '@fastify/static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RoutePlugin } from '../route-plugin.js';
import { registerPageHeaders } from '../security-headers.js';

/** The built portal (`vite build` → dist/web); the same path from src/ (tsx, tests) and from dist/. */
export const PORTAL_ROOT = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/** Whether a registered route is the portal's (a built file, `/` or the fallback): not part of the API document. */
export function isPortalRoute(path: string): boolean {
  return path === '/*' || existsSync(join(PORTAL_ROOT, path));
}

/** Paths the portal never answers, so their unknown routes stay problem+json 404s. */
const SERVER_PATHS = /^\/(api|docs|oauth|auth|\.well-known|openapi\.json|healthz|readyz|metrics)(\/|$)/;

/** The security headers (CSP, framing, nosniff) come from helmet and the app (security-headers.ts). */
function setPortalHeaders(res: SetHeadersResponse, path: string): void {
  // Hashed bundles never change; index.html must be revalidated so a deploy is picked up at once.
  const hashed = path.includes('/assets/');
  res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
}

/**
 * The web portal at `/`: the built files, and index.html for every other GET outside the API so
 * the portal's own routes (`/setup`, `/orgs/…`) load on a reload or a shared link. Without a
 * build (tests that do not run `vite build`) the server starts without it.
 */
const portal: RoutePlugin = async (app) => {
  if (!existsSync(`${PORTAL_ROOT}index.html`)) return;
  // This plugin's scope only: the portal's files and its fallback route.
  await registerPageHeaders(app);

  await app.register(fastifyStatic, {
    root: PORTAL_ROOT,
    wildcard: false,
    schemaHide: true,
    cacheControl: false,
    setHeaders: setPortalHeaders,
  });

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const lastSegment = path.slice(path.lastIndexOf('/') + 1);
    // A missing file (`/assets/old.js`) or a server path is a real 404, not the portal.
    if (SERVER_PATHS.test(path) || lastSegment.includes('.')) {
      return reply.callNotFound();
    }
    return reply.sendFile('index.html');
  });
};

export default portal;
