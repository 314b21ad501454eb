import { CreateServiceAccountBody, OrgParams, Page, PageQuerySchema, ServiceAccountParams, ServiceAccountSchema } from '../../contract/index.js';
import { createServiceAccount, deactivateServiceAccount, listServiceAccounts } from '../../services/service-accounts.js';
import { inOrg } from '../authorize.js';
import { operation } from '../operation.js';
import { noContent, success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const serviceAccounts: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/orgs/:org/service-accounts',
    operation({
      id: 'createServiceAccount',
      authorize: inOrg('tokens.manage', 'write'),
      tag: 'service accounts',
      summary: 'Create a service account that owns tokens for automations (tokens.manage)',
      params: OrgParams,
      body: CreateServiceAccountBody,
      responses: { 201: success('The new service account.', ServiceAccountSchema) },
    }),
    async (request, reply) => reply.status(201).send(await createServiceAccount(ctx, request.caller, request.params.org, request.body)),
  );

  app.get(
    '/orgs/:org/service-accounts',
    operation({
      id: 'listServiceAccounts',
      authorize: inOrg('tokens.manage', 'read'),
      tag: 'service accounts',
      summary: "The org's service accounts, newest first (tokens.manage)",
      params: OrgParams,
      querystring: PageQuerySchema,
      responses: { 200: success('A page of service accounts.', Page(ServiceAccountSchema)) },
    }),
    async (request) => listServiceAccounts(ctx, request.caller, request.params.org, request.query),
  );

  app.delete(
    '/orgs/:org/service-accounts/:id',
    operation({
      id: 'deactivateServiceAccount',
      authorize: inOrg('tokens.manage', 'write'),
      tag: 'service accounts',
      summary: 'Deactivate a service account and disable all its tokens (tokens.manage)',
      description: 'It stays listed as deactivated; its tokens are not re-enabled automatically.',
      params: ServiceAccountParams,
      responses: { 204: noContent('Deactivated.') },
    }),
    async (request, reply) => {
      await deactivateServiceAccount(ctx, request.caller, request.params.org, request.params.id);
      return reply.status(204).send(null);
    },
  );
};

export default serviceAccounts;
