import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** The pages Keyward serves (the portal, the API docs) load only their own files: no inline scripts, no other origins. */
const CSP_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

export const CONTENT_SECURITY_POLICY = Object.entries(CSP_DIRECTIVES)
  .map(([directive, sources]) => `${directive} ${sources.join(' ')}`)
  .join('; ');

const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * What every response carries, set once here by one synchronous hook (the verify path pays a
 * header or two, nothing more): `X-Content-Type-Options: nosniff`, and HSTS when the public URL
 * is https (over plain HTTP a browser ignores it, and a deployment not behind TLS should not
 * promise it).
 *
 * No CORS, anywhere: no response carries Access-Control-Allow-Origin, and a preflight (OPTIONS)
 * is answered 405 like any method a route lacks, so a page on another origin can neither call the
 * API with the portal's cookies nor read an answer. Products call Keyward from their servers.
 */
export function registerResponseHeaders(app: FastifyInstance, options: { https: boolean }): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff');
    if (options.https) reply.header('strict-transport-security', HSTS);
    done();
  });
}

/**
 * Helmet's defaults for the pages a browser renders (the portal, the API docs), registered in the
 * scope of their routes only: @fastify/helmet builds its middleware on every request, a cost the
 * machine routes (verify, introspect, forward auth) have no use for. The portal's own policy
 * (`CONTENT_SECURITY_POLICY`, or none here where Swagger UI sends it itself), framing denied and
 * `Referrer-Policy: same-origin` (stricter than helmet's SAMEORIGIN framing; same-origin keeps the
 * portal's own navigation informative), the cross-origin isolation headers and the rest of
 * helmet's set. nosniff and HSTS come from `registerResponseHeaders`, once.
 */
export async function registerPageHeaders(scope: FastifyInstance, options: { csp: boolean } = { csp: true }): Promise<void> {
  await scope.register(helmet, {
    global: true,
    contentSecurityPolicy: options.csp ? { useDefaults: false, directives: CSP_DIRECTIVES } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    xContentTypeOptions: false,
    strictTransportSecurity: false,
  });
}
