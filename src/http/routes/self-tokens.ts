import { Type } from 'typebox';
import { readCredential } from '../../core/credentials.js';
import { InvalidRequest, Unauthenticated } from '../../core/errors.js';
import { detectRotatedReuse, MAX_GRACE_PERIOD_SECONDS, rotateSelf } from '../../services/token-rotation.js';
import { authenticate, requestMeta } from '../auth.js';
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

const selfTokens: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/tokens/self/rotate',
    {
      schema: {
        tags: ['tokens'],
        summary: 'The presented token rotates itself',
        description:
          'Presenting a token that was rotated away and whose grace period has passed revokes its whole rotation chain (reuse detection).',
        security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
        body: SelfRotateBody,
        response: { 201: TokenWithSecretSchema, ...problemResponses, 409: Type.Ref('Problem') },
      },
      preValidation: defaultEmptyBody,
    },
    async (request, reply) => {
      const credential = readCredential(request.raw.rawHeaders);
      if (credential.kind === 'invalid') throw new InvalidRequest(credential.reason);
      if (credential.kind === 'none') throw new Unauthenticated('Present the token to rotate as a Bearer token or in X-API-Key.');
      // Before authentication, which would refuse the revoked token without noticing the reuse.
      await detectRotatedReuse(ctx, credential.token, requestMeta(request));
      const caller = await authenticate(ctx, request);
      const grace = request.body.grace_period_seconds ?? DEFAULT_SELF_GRACE_SECONDS;
      return reply.status(201).send(await rotateSelf(ctx, caller, grace));
    },
  );
};

export default selfTokens;
