import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { readCredential } from '../../core/credentials.js';
import { InvalidRequest, Unauthenticated } from '../../core/errors.js';
import type { ServiceContext } from '../../services/context.js';
import { detectRotatedReuse, MAX_GRACE_PERIOD_SECONDS, rotateSelf } from '../../services/token-rotation.js';
import { requestMeta } from '../auth.js';
import { problemResponses } from '../schemas/common.js';
import { TokenWithSecretSchema } from '../schemas/token.js';
import type { RoutePlugin } from './index.js';
import { defaultEmptyBody } from './tokens.js';

/** A pipeline rotating itself usually needs a moment to store the new secret: an hour by default. */
const DEFAULT_SELF_GRACE_SECONDS = 3600;

const SelfRotateBody = Type.Object(
  {
    grace_period_seconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_GRACE_PERIOD_SECONDS, default: DEFAULT_SELF_GRACE_SECONDS }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The token to rotate must be presented as a token (a session cannot rotate itself), and a
 * rotated-away one is noticed as reused before authentication would merely refuse it.
 */
async function checkPresentedToken(ctx: ServiceContext, request: FastifyRequest): Promise<void> {
  const credential = readCredential(request.raw.rawHeaders);
  if (credential.kind === 'invalid') throw new InvalidRequest(credential.reason);
  if (credential.kind === 'none') throw new Unauthenticated('Present the token to rotate as a Bearer token or in X-API-Key.');
  await detectRotatedReuse(ctx, credential.token, requestMeta(request));
}

const selfTokens: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/tokens/self/rotate',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['tokens'],
        summary: 'The presented token rotates itself',
        description:
          'Presenting a token that was rotated away and whose grace period has passed revokes its whole rotation chain (reuse detection).',
        security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
        body: SelfRotateBody,
        response: { 201: TokenWithSecretSchema, ...problemResponses, 409: Type.Ref('Problem') },
      },
      // Runs before the `auth` authentication, which is added after a route's own onRequest hooks.
      onRequest: (request) => checkPresentedToken(ctx, request),
      preValidation: defaultEmptyBody,
    },
    async (request, reply) => {
      const grace = request.body.grace_period_seconds ?? DEFAULT_SELF_GRACE_SECONDS;
      return reply.status(201).send(await rotateSelf(ctx, request.caller, grace));
    },
  );
};

export default selfTokens;
