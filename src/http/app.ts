import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServiceContext } from '../services/context.js';
import { registerAuth } from './auth.js';
import { registerErrorHandling } from './problem.js';
import { validatorCompiler } from './validation.js';
import { ProblemSchema } from './schemas/common.js';
import { TokenSchema } from './schemas/token.js';
import { UserSchema } from './schemas/user.js';
import { AuditEventSchema } from './schemas/audit.js';
import { routes } from './routes/index.js';

export type AppOptions = {
  /** Log level and destination (tests capture the log through a stream); false silences it. */
  logger?: { level?: string; stream?: NodeJS.WritableStream } | false;
};

/** Log lines carry method and path, never query strings, headers or bodies (which may hold secrets). */
const serializers = {
  req: (req: { method: string; url: string; id: string }) => ({ method: req.method, path: req.url.split('?')[0], id: req.id }),
  res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
};

/** A hop count becomes Fastify's function form (its types do not list the number form). */
function trustProxyOption(setting: ServiceContext['config']['trustProxy']) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
}

export async function buildApp(ctx: ServiceContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // The serializers always apply: they are what keeps secrets out of the log.
    logger: options.logger === false ? false : { level: ctx.config.logLevel, ...options.logger, serializers },
    trustProxy: trustProxyOption(ctx.config.trustProxy),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  registerErrorHandling(app);
  registerAuth(app, ctx);
  for (const schema of [ProblemSchema, TokenSchema, UserSchema, AuditEventSchema]) app.addSchema(schema);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keyward API',
        version: '1.0.0',
        description: 'Issue, verify and manage API access tokens for multi-tenant SaaS products.',
      },
      servers: [{ url: ctx.config.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A Keyward token with keyward:* scopes.' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The legacy header.' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'kw_session', description: 'The portal session.' },
          verifierAuth: { type: 'http', scheme: 'bearer', description: 'A verifier credential.' },
          verifierBasic: { type: 'http', scheme: 'basic', description: 'Verifier id and secret.' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const route of routes) await app.register(route.plugin, { ctx, prefix: route.prefix });
  return app;
}
