import { isIP } from 'node:net';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { SHARED_SCHEMAS } from '../contract/index.js';
import { ValidationFailed } from '../core/errors.js';
import type { ServiceContext } from '../services/context.js';
import { decorateCaller } from './auth.js';
import { acceptEmptyJsonBodies } from './json-body.js';
import { MethodTable } from './method-table.js';
import { registerLoadShedding } from './overload.js';
import { registerOpenApi } from './openapi.js';
import { registerErrorHandling } from './problem.js';
import api from './routes/api.js';
import health from './routes/health.js';
import forwardAuth from './routes/forward-auth.js';
import jwks from './routes/jwks.js';
import metrics from './routes/metrics.js';
import oauth from './routes/oauth.js';
import portal from './routes/portal.js';
import { bufferedStdout, RequestLog, serializers } from './request-log.js';
import { registerResponseHeaders } from './security-headers.js';
import { buildSerializer } from './serialization.js';
import { validatorCompiler } from './validation.js';

export type AppOptions = {
  /** Log level and destination (tests capture the log through a stream); false silences it. */
  logger?: { level?: string; stream?: NodeJS.WritableStream } | false;
};

/** A hop count becomes Fastify's function form (its types do not list the number form). */
function trustProxyOption(setting: ServiceContext['config']['trustProxy']) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
}

/**
 * Behind trusted proxies, the client address is the X-Forwarded-For entry the trust stops at, and
 * Fastify takes it as it is written. One that is not an IP address (a name, a port, garbage) is
 * refused rather than used: it would be compared with allowlists, become a per-address limit's
 * key of its own and reach the audit log. Without a trusted proxy the socket's address is used.
 */
function refuseInvalidClientAddresses(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    done(isIP(request.ip) === 0 ? new ValidationFailed('X-Forwarded-For does not name the client by an IP address.', { field: 'x-forwarded-for' }) : undefined);
  });
}

export async function buildApp(ctx: ServiceContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const stdout = options.logger === false || options.logger?.stream ? null : bufferedStdout();
  const requestLog = new RequestLog();
  const app = Fastify({
    // The serializers always apply: they are what keeps secrets out of the log.
    logger: options.logger === false ? false : { level: ctx.config.logLevel, stream: stdout ?? undefined, ...options.logger, serializers },
    logController: requestLog,
    trustProxy: trustProxyOption(ctx.config.trustProxy),
    schemaController: { compilersFactory: { buildSerializer } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  requestLog.start(app.log);
  // The last summary first, then what is still in the batch.
  app.addHook('onClose', async () => {
    requestLog.stop(app.log);
    stdout?.flushSync();
  });
  const methods = new MethodTable();
  app.addHook('onRoute', (route) => methods.add(route.url, route.method));
  app.setValidatorCompiler(validatorCompiler);
  registerErrorHandling(app, (path) => methods.allowed(path));
  if (ctx.config.trustProxy !== false) refuseInvalidClientAddresses(app);
  decorateCaller(app);
  acceptEmptyJsonBodies(app);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(cookie, { hook: false });
  registerResponseHeaders(app, { https: ctx.config.secureCookies });
  await registerLoadShedding(app, ctx.config.overload);
  await registerOpenApi(app, ctx.config);

  await app.register(health, { ctx });
  await app.register(jwks, { ctx });
  await app.register(forwardAuth, { ctx });
  await app.register(oauth, { ctx });
  await app.register(metrics, { ctx });
  await app.register(api, { ctx, prefix: '/api/v1' });
  await app.register(portal, { ctx });
  return app;
}
