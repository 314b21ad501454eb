import { OrgParams, Page, ScopeSchema } from '../../contract/index.js';
import { orgScopes } from '../../services/orgs.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const scopes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs/:org/scopes',
    operation({
      id: 'listOrgScopes',
      tag: 'orgs',
      summary: 'The scope catalog as this org may use it',
      description: 'Scopes gated by a feature or plan the org lacks are not listed. Any member may read it; a token needs a keyward:* scope. Not paginated.',
      params: OrgParams,
      responses: { 200: success('Every scope the org may grant.', Page(ScopeSchema)) },
    }),
    async (request) => ({ data: await orgScopes(ctx, request.caller, request.params.org), next_cursor: null }),
  );
};

export default scopes;
