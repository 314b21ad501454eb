import { ImpersonationTokenBody, MemberParams, TokenWithSecretSchema } from '../../contract/index.js';
import { createImpersonationToken } from '../../services/tokens/create.js';
import { mayImpersonate } from '../authorize.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';
import { noStore } from './secrets.js';

const memberTokens: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/orgs/:org/members/:user/tokens',
    operation({
      id: 'createImpersonationToken',
      authorize: mayImpersonate,
      tag: 'tokens',
      summary: 'Create an impersonation token on behalf of a member (tokens.impersonate)',
      description:
        'Every call mints a new token. It is tagged impersonation, carries the caller as created_by, is invisible to the member and cannot mint tokens.',
      params: MemberParams,
      body: ImpersonationTokenBody,
      responses: { 201: success('The token and its secret: shown in this response only.', TokenWithSecretSchema) },
      problems: [422],
    }),
    async (request, reply) => {
      const { org, user } = request.params;
      return noStore(reply).status(201).send(await createImpersonationToken(ctx, request.caller, org, user, request.body));
    },
  );
};

export default memberTokens;
