import {
  CreateTokenBody,
  ListTokensQuery,
  OrgParams,
  Page,
  Ref,
  RenameTokenBody,
  RotateTokenBody,
  TokenParams,
  TokenSchema,
  TokenWithSecretSchema,
} from '../../contract/index.js';
import { createToken } from '../../services/tokens/create.js';
import { getToken, listTokens } from '../../services/tokens/list.js';
import { disableToken, enableToken, renameToken, revokeToken } from '../../services/tokens/manage.js';
import { rotateToken } from '../../services/tokens/rotation.js';
import { mayCreateTokens, mayUpdateToken, onToken } from '../authorize.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';
import { noStore } from './secrets.js';

const Token = Ref(TokenSchema);
const TokenWithSecret = success('The token and its secret: shown in this response only.', TokenWithSecretSchema);

const tokens: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/orgs/:org/tokens',
    operation({
      id: 'createToken',
      authorize: mayCreateTokens,
      tag: 'tokens',
      summary: 'Create a token; the secret is in this response only',
      params: OrgParams,
      body: CreateTokenBody,
      responses: { 201: TokenWithSecret },
      problems: [422],
    }),
    async (request, reply) => noStore(reply).status(201).send(await createToken(ctx, request.caller, request.params.org, request.body)),
  );

  app.get(
    '/orgs/:org/tokens',
    operation({
      id: 'listTokens',
      tag: 'tokens',
      summary: 'List tokens (metadata only)',
      params: OrgParams,
      querystring: ListTokensQuery,
      responses: { 200: success('A page of tokens, newest first.', Page(Token)) },
    }),
    async (request) => listTokens(ctx, request.caller, request.params.org, request.query),
  );

  app.get(
    '/orgs/:org/tokens/:id',
    operation({
      id: 'getToken',
      tag: 'tokens',
      summary: 'One token (metadata only)',
      params: TokenParams,
      responses: { 200: success('The token.', Token) },
    }),
    async (request) => getToken(ctx, request.caller, request.params.org, request.params.id),
  );

  app.patch(
    '/orgs/:org/tokens/:id',
    operation({
      id: 'renameToken',
      authorize: mayUpdateToken,
      tag: 'tokens',
      summary: "Rename a token, edit its description or set its credits",
      description: 'Scopes, owner, expiry and rate limits are immutable: rotate or create anew to change them. `usage_limit` (set, or null to remove) needs tokens.manage and applies to the whole rotation chain.',
      params: TokenParams,
      body: RenameTokenBody,
      responses: { 200: success('The token as it is now.', Token) },
    }),
    async (request) => renameToken(ctx, request.caller, request.params.org, request.params.id, request.body),
  );

  const transitions = [
    { path: 'revoke', id: 'revokeToken', summary: 'Revoke a token: immediate and permanent', use: revokeToken },
    { path: 'disable', id: 'disableToken', summary: 'Suspend a token (reversible)', use: disableToken },
    { path: 'enable', id: 'enableToken', summary: 'Re-enable a disabled token that has not expired', use: enableToken },
  ] as const;
  for (const { path, id, summary, use } of transitions) {
    app.post(
      `/orgs/:org/tokens/:id/${path}`,
      operation({
        id,
        tag: 'tokens',
        summary,
        authorize: onToken('change'),
        params: TokenParams,
        responses: { 200: success('The token as it is now.', Token) },
        problems: [409, 422],
      }),
      async (request) => use(ctx, request.caller, request.params.org, request.params.id),
    );
  }

  app.post(
    '/orgs/:org/tokens/:id/rotate',
    operation({
      id: 'rotateToken',
      authorize: onToken('rotate'),
      tag: 'tokens',
      summary: 'Rotate a token: a successor with the same name, scopes, kind and owner',
      description: 'The old token keeps working for the grace period (0 to 7 days), then is revoked. The body may be left out.',
      params: TokenParams,
      body: RotateTokenBody,
      responses: { 201: TokenWithSecret },
      problems: [409, 422],
    }),
    async (request, reply) => {
      const grace = request.body.grace_period_seconds ?? 0;
      return noStore(reply).status(201).send(await rotateToken(ctx, request.caller, request.params.org, request.params.id, grace));
    },
  );
};

export default tokens;
