import { Type } from 'typebox';
import { createServiceAccount, deactivateServiceAccount, listServiceAccounts } from '../../services/service-accounts.js';
import { managementSecurity, OrgParams, Page, PageQuery, problemResponses } from '../schemas/common.js';
import { ServiceAccountSchema, serviceAccountView } from '../schemas/service-account.js';
import type { RoutePlugin } from './index.js';

const ServiceAccountParams = Type.Object({ ...OrgParams.properties, id: Type.String({ maxLength: 64, description: 'svc_…' }) });

const CreateServiceAccountBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  },
  { additionalProperties: false },
);

const serviceAccounts: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/orgs/:org/service-accounts',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['service accounts'],
        summary: 'Create a service account that owns tokens for automations (tokens.manage)',
        security: managementSecurity,
        params: OrgParams,
        body: CreateServiceAccountBody,
        response: { 201: ServiceAccountSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const account = await createServiceAccount(ctx, request.caller, request.params.org, request.body);
      return reply.status(201).send(serviceAccountView(account));
    },
  );

  app.get(
    '/orgs/:org/service-accounts',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['service accounts'],
        summary: "The org's service accounts, newest first (tokens.manage)",
        security: managementSecurity,
        params: OrgParams,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(ServiceAccountSchema), ...problemResponses },
      },
    },
    async (request) => {
      const page = await listServiceAccounts(ctx, request.caller, request.params.org, { limit: request.query.limit ?? 50, cursor: request.query.cursor });
      return { data: page.items.map(serviceAccountView), next_cursor: page.nextCursor };
    },
  );

  app.delete(
    '/orgs/:org/service-accounts/:id',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['service accounts'],
        summary: 'Deactivate a service account and disable all its tokens (tokens.manage)',
        description: 'It stays listed as deactivated; its tokens are not re-enabled automatically.',
        security: managementSecurity,
        params: ServiceAccountParams,
        response: { 204: Type.Null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      await deactivateServiceAccount(ctx, request.caller, request.params.org, request.params.id);
      return reply.status(204).send(null);
    },
  );
};

export default serviceAccounts;
