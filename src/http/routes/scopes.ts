import { Type } from 'typebox';
import { orgScopes } from '../../services/orgs.js';
import { managementSecurity, OrgParams, Page, problemResponses } from '../schemas/common.js';
import type { RoutePlugin } from './index.js';

const ScopeSchema = Type.Object({
  name: Type.String({ description: 'resource:action, e.g. devices:read; keyward:* for the management API.' }),
  description: Type.String(),
  feature: Type.Optional(Type.String({ description: 'The entitlement that makes this scope available.' })),
});

const scopes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs/:org/scopes',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['orgs'],
        summary: 'The scope catalog as this org may use it',
        description: 'Scopes gated by a feature or plan the org lacks are not listed. Any member may read it. Not paginated.',
        security: managementSecurity,
        params: OrgParams,
        response: { 200: Page(ScopeSchema), ...problemResponses },
      },
    },
    async (request) => {
      const catalog = await orgScopes(ctx, request.caller, request.params.org);
      return {
        data: catalog.map((s) => ({ name: s.name, description: s.description, ...(s.feature ? { feature: s.feature } : {}) })),
        next_cursor: null,
      };
    },
  );
};

export default scopes;
