import { CreateOrgBody, OrgParams, OrgSchema, Page, PageQuerySchema, UpdateOrgBody } from '../../contract/index.js';
import { createOrg, getOrg, listMyOrgs, updateOrg } from '../../services/orgs.js';
import { mayUpdateOrg, siteAdminOnly } from '../authorize.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const orgs: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs',
    operation({
      id: 'listOrgs',
      tag: 'orgs',
      summary: 'List my orgs (a site admin sees every org), oldest first',
      querystring: PageQuerySchema,
      responses: { 200: success('A page of orgs.', Page(OrgSchema)) },
    }),
    async (request) => listMyOrgs(ctx, request.caller, request.query),
  );

  app.post(
    '/orgs',
    operation({
      id: 'createOrg',
      authorize: siteAdminOnly,
      tag: 'orgs',
      summary: 'Create an org (site admin)',
      description: 'A taken slug is 409; an owner_email that names no active user is 422.',
      body: CreateOrgBody,
      responses: { 201: success('The new org.', OrgSchema) },
      problems: [409, 422],
    }),
    async (request, reply) => reply.status(201).send(await createOrg(ctx, request.caller, request.body)),
  );

  app.get(
    '/orgs/:org',
    operation({
      id: 'getOrg',
      tag: 'orgs',
      summary: 'An org with its plan, features and token policy',
      description: 'Any member reads it; a token needs a keyward:* scope.',
      params: OrgParams,
      responses: { 200: success('The org.', OrgSchema) },
    }),
    async (request) => getOrg(ctx, request.caller, request.params.org),
  );

  app.patch(
    '/orgs/:org',
    operation({
      id: 'updateOrg',
      authorize: mayUpdateOrg,
      tag: 'orgs',
      summary: 'Rename an org, change its token policy (org.manage), plan or features (site admin)',
      description: 'token_policy is merged into the current policy and must stay within the deployment bounds (422 otherwise).',
      params: OrgParams,
      body: UpdateOrgBody,
      responses: { 200: success('The org as it is now.', OrgSchema) },
      problems: [422],
    }),
    async (request) => updateOrg(ctx, request.caller, request.params.org, request.body),
  );
};

export default orgs;
