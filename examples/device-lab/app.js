import Fastify from 'fastify';
import { deviceLabRoutes, problem } from './routes.js';

/**
 * The device-lab API as a Fastify app, without listening: server.js starts it, and a product can
 * embed it (or just `app.register(deviceLabRoutes, { verifier })` into its own app).
 *
 * `verifier` is what `createVerifier` from `@keyward/sdk` returns; whoever made it closes it.
 */
export function buildApp({ verifier, logger = false }) {
  if (!verifier) throw new Error('buildApp needs { verifier }: createVerifier({ url, verifierSecret }) from @keyward/sdk');
  // removeAdditional: false makes an unknown body field a 400 instead of silently dropping it.
  const app = Fastify({ logger, ajv: { customOptions: { removeAdditional: false } } });

  // Every error is a problem+json, like the SDK's own 401/403/429.
  app.setErrorHandler((error, request, reply) => {
    if (error.validation) return problem(reply, 400, 'validation_failed', error.message);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return problem(reply, status, status === 400 ? 'validation_failed' : 'bad_request', error.message);
    request.log.error(error);
    return problem(reply, 500, 'internal_error', 'Something went wrong on our side.');
  });
  app.setNotFoundHandler((request, reply) => problem(reply, 404, 'not_found', `There is no route ${request.method} ${request.url.split('?')[0]}.`));

  app.register(async (health) => health.get('/healthz', async () => ({ status: 'ok' })));
  app.register(deviceLabRoutes, { verifier });
  return app;
}
