import type { FastifyRequest } from 'fastify';
import { SelfRotateBody, TokenWithSecretSchema } from '../../contract/index.js';
import { readCredential } from '../../core/credentials.js';
import { InvalidRequest, Unauthenticated } from '../../core/errors.js';
import { DEFAULT_SELF_GRACE_SECONDS } from '../../core/policy.js';
import { refuseThrottledClient } from '../../services/authentication.js';
import type { ServiceContext } from '../../services/context.js';
import { detectRotatedReuse, rotateSelf } from '../../services/tokens/rotation.js';
import { requestMeta } from '../auth.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';
import { noStore } from './secrets.js';

/**
 * The token to rotate must be presented as a token (a session cannot rotate itself), and a
 * rotated-away one is noticed as reused before authentication would merely refuse it.
 */
async function checkPresentedToken(ctx: ServiceContext, request: FastifyRequest): Promise<void> {
  const credential = readCredential(request.raw.rawHeaders);
  if (credential.kind === 'invalid') throw new InvalidRequest(credential.reason);
  if (credential.kind === 'none') throw new Unauthenticated('Present the token to rotate as a Bearer token or in X-API-Key.');
  const meta = requestMeta(request);
  // Reuse detection reads the store: an address over its failed-authentication limit stops first.
  refuseThrottledClient(ctx, meta.ip);
  await detectRotatedReuse(ctx, credential.token, meta);
}

const selfTokens: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/tokens/self/rotate',
    {
      ...operation({
        id: 'rotateSelf',
        tag: 'tokens',
        summary: 'The presented token rotates itself',
        description:
          'Presenting a token that was rotated away and whose grace period has passed revokes its whole rotation chain (reuse detection). The body may be left out.',
        security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
        body: SelfRotateBody,
        responses: { 201: success('The successor and its secret: shown in this response only.', TokenWithSecretSchema) },
        problems: [409, 422],
      }),
      // Runs before authentication, which is added after a route's own onRequest hooks.
      onRequest: (request) => checkPresentedToken(ctx, request),
    },
    async (request, reply) => {
      const grace = request.body.grace_period_seconds ?? DEFAULT_SELF_GRACE_SECONDS;
      return noStore(reply).status(201).send(await rotateSelf(ctx, request.caller, grace));
    },
  );
};

export default selfTokens;
