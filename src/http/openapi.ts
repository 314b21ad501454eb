import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { WebhookPayloadSchema } from '../contract/index.js';
import { WEBHOOK_EVENTS } from '../core/webhooks.js';
import { TAGS } from './operation.js';
import { CONTENT_SECURITY_POLICY, registerPageHeaders } from './security-headers.js';
import { sessionCookieNames } from './auth.js';

type Operation = { requestBody?: { required?: boolean; content?: Record<string, { schema?: { required?: unknown[] } }> } };
type Document = { paths?: Record<string, Record<string, Operation>>; webhooks?: Record<string, unknown> };

/** A contract schema as the document holds it: references to shared schemas point into components. */
function documented(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(documented);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, key === '$ref' && typeof value === 'string' && !value.startsWith('#') ? `#/components/schemas/${value}` : documented(value)]),
  );
}

/** The deliveries Keyward sends to webhook endpoints (OpenAPI 3.1 `webhooks`), one per event type. */
function describeWebhooks(document: Document): Document {
  const delivery = (event: string) => ({
    post: {
      operationId: `${event.replace(/\.(\w)/g, (_m, c: string) => c.toUpperCase())}Webhook`,
      summary: `${event}: a delivery to a webhook endpoint, signed by the Standard Webhooks convention`,
      // The receiver checks the signature (webhook-signature) with the endpoint's secret.
      security: [],
      tags: ['webhooks'],
      parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({ name, in: 'header', required: true, schema: { type: 'string' } })),
      requestBody: { required: true, content: { 'application/json': { schema: documented(WebhookPayloadSchema) } } },
      responses: { '2XX': { description: 'Delivered; any other answer is retried with backoff.' } },
    },
  });
  document.webhooks = Object.fromEntries(WEBHOOK_EVENTS.map((event) => [event, delivery(event)]));
  return document;
}

/** A body none of whose fields is required may be left out (a bare `POST …/rotate`): the document says so. */
function markOptionalBodies(document: Document): Document {
  for (const methods of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(methods)) {
      const body = operation.requestBody;
      const schema = body?.content?.['application/json']?.schema;
      if (body && schema && !(schema.required?.length)) body.required = false;
    }
  }
  return document;
}

/**
 * The OpenAPI 3.1 document, generated from the routes' schemas (the contract), at `/openapi.json`
 * and behind Swagger UI at `/docs`. The server URL is relative unless the deployment names its
 * public URL, so the docs work under whatever host they were opened at.
 */
export async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keyward API',
        version: '1.0.0',
        description: 'Issue, verify and manage API access tokens for multi-tenant SaaS products.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: config.publicUrlGiven ? config.publicUrl : '/' }],
      tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A Keyward token with keyward:* scopes.' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A Keyward token in the legacy header.' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: sessionCookieNames(config.secureCookies).session, description: 'The portal session.' },
          verifierAuth: { type: 'http', scheme: 'bearer', description: 'A verifier credential (kwv_…).' },
          verifierBasic: { type: 'http', scheme: 'basic', description: 'A verifier credential as HTTP Basic: its id (vrf_…) and its secret.' },
          gatewayVerifier: { type: 'apiKey', in: 'header', name: 'X-Keyward-Verifier', description: "A gateway's verifier credential, beside the end user's token." },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (documentObject) => describeWebhooks(markOptionalBodies((documentObject as { openapiObject: Document }).openapiObject)) as never,
  });
  // A scope of its own, so helmet's page headers reach the docs' routes only; Swagger UI sends the policy itself.
  await app.register(async (docs) => {
    await registerPageHeaders(docs, { csp: false });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      theme: { title: 'Keyward API' },
      staticCSP: CONTENT_SECURITY_POLICY,
      uiConfig: { persistAuthorization: false, validatorUrl: null },
    });
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
