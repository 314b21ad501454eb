import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { IntrospectionSchema, OAuthTokenForm } from '../../contract/index.js';
import { bodyCarriesToken, queryCarriesToken, readBasicCredential } from '../../core/credentials.js';
import { InvalidClient, InvalidRequest, KeywardError, RateLimited, ValidationFailed } from '../../core/errors.js';
import { introspect, revokeByPossession } from '../../services/oauth.js';
import { authenticateVerifier } from '../../services/verifiers.js';
import { requestMeta } from '../auth.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';
import { noStore } from './secrets.js';

const FORM = 'application/x-www-form-urlencoded';
const URL_TOKEN_PARAMETERS = ['token', 'access_token'];
const TOKEN_IN_URL = 'A token in the URL is not accepted (it would reach logs): send it in the form body.';

/** The OpenAPI request body of these routes is a form, not JSON. */
function formOperation<T extends { schema: object }, E extends object>(options: T, extra?: E): T & E {
  return { ...options, ...(extra as E), schema: { ...options.schema, consumes: [FORM] } };
}

/**
 * OAuth 2.0 token introspection (RFC 7662) and revocation (RFC 7009), for clients and resource
 * servers that speak the standards rather than Keyward's own API. Their bodies are forms.
 */
const oauth: RoutePlugin = async (app, { ctx }) => {
  // Forms only (RFC 7662 §2.1, RFC 7009 §2.1); parameters sent more than once are an error (RFC 6749 §3.2).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => {
    const params = new URLSearchParams(body.toString());
    const names = [...params.keys()];
    if (new Set(names).size !== names.length) return done(new ValidationFailed('Send each parameter once.'), undefined);
    done(null, Object.fromEntries(params));
  });

  // The verifier authenticates before the body is parsed or validated (401 before 400 and 415).
  const authenticateClient = async (request: FastifyRequest) => {
    const client = readBasicCredential(request.raw.rawHeaders);
    if (!client) throw new InvalidClient();
    await authenticateVerifier(ctx, client.secret, { ip: requestMeta(request).ip, expectedId: client.id }).catch((error: unknown) => {
      // An address over its failed-authentication limit keeps its 429.
      throw error instanceof KeywardError && !(error instanceof RateLimited) ? new InvalidClient('The verifier id and secret do not match a verifier credential.') : error;
    });
  };
  // RFC 7009 §2.1 and RFC 7662 §2.1: the token travels in the form body. One in the URL would reach
  // logs; `access_token` beside the form's `token` is a second one (DESIGN §3). Neither is read.
  const refuseTokenInUrl = async (request: FastifyRequest) => {
    if (queryCarriesToken(request.url, URL_TOKEN_PARAMETERS)) throw new InvalidRequest(TOKEN_IN_URL);
  };
  const refuseAccessTokenInBody = async (request: FastifyRequest) => {
    if (bodyCarriesToken(request.body)) throw new InvalidRequest('Send the token as the form\'s token parameter only, not as access_token.');
  };

  app.post(
    '/oauth/introspect',
    formOperation(
      operation({
        id: 'introspectToken',
        tag: 'verify',
        summary: 'OAuth 2.0 token introspection (RFC 7662)',
        description:
          'Authenticated by a verifier credential as HTTP Basic `<verifier id>:<verifier secret>`. A token in force answers ' +
          '`active`, `scope`, `client_id` (the token id), `sub`, `exp`, `iat`, `token_type` and `iss`; any other token exactly `{"active": false}`.',
        auth: 'public',
        security: [{ verifierBasic: [] }],
        body: OAuthTokenForm,
        responses: { 200: success('What the token is, if it is active.', IntrospectionSchema) },
        problems: [401, 429],
      }),
      { onRequest: [authenticateClient, refuseTokenInUrl], preValidation: refuseAccessTokenInBody },
    ),
    async (request, reply) => noStore(reply).send(await introspect(ctx, request.body.token)),
  );

  app.post(
    '/oauth/revoke',
    formOperation(
      operation({
        id: 'revokeTokenByPossession',
        tag: 'tokens',
        summary: 'OAuth 2.0 token revocation (RFC 7009): a token revokes itself',
        description:
          'Whoever holds a token may revoke it; the token in the body is the credential. Unknown, malformed and already revoked ' +
          'tokens answer 200 too, so the answer says nothing about the token.',
        auth: 'public',
        body: OAuthTokenForm,
        responses: { 200: success('Revoked, or nothing to revoke: an empty object either way.', Type.Object({})) },
      }),
      { onRequest: refuseTokenInUrl, preValidation: refuseAccessTokenInBody },
    ),
    async (request, reply) => {
      await revokeByPossession(ctx, request.body.token, requestMeta(request));
      return noStore(reply).status(200).send({});
    },
  );
};

export default oauth;
