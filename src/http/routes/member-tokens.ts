import { Type } from 'typebox';
import { createImpersonationToken } from '../../services/tokens.js';
import { managementSecurity, OrgParams, problemResponses } from '../schemas/common.js';
import { TokenWithSecretSchema } from '../schemas/token.js';
import type { RoutePlugin } from './index.js';
import { NewTokenFields, tokenRequestFrom } from './tokens.js';

const MemberParams = Type.Object({
  org: OrgParams.properties.org,
  user: Type.String({ maxLength: 64, description: 'The member to act for (usr_…).' }),
});

const ImpersonationTokenBody = Type.Object(NewTokenFields, { additionalProperties: false });

const memberTokens: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/orgs/:org/members/:user/tokens',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['tokens'],
        summary: 'Create an impersonation token on behalf of a member (tokens.impersonate)',
        description:
          'Every call mints a new token. It is tagged impersonation, carries the caller as created_by, is invisible to the member and cannot mint tokens.',
        security: managementSecurity,
        params: MemberParams,
        body: ImpersonationTokenBody,
        response: { 201: TokenWithSecretSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { org, user } = request.params;
      return reply.status(201).send(await createImpersonationToken(ctx, request.caller, org, user, tokenRequestFrom(request.body)));
    },
  );
};

export default memberTokens;
