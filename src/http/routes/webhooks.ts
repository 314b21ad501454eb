import {
  CreateWebhookBody,
  OrgParams,
  Page,
  PageQuerySchema,
  Ref,
  WebhookDeliveriesQuery,
  WebhookDeliverySchema,
  WebhookParams,
  WebhookSchema,
  WebhookWithSecretSchema,
} from '../../contract/index.js';
import { createWebhook, deleteWebhook, getWebhook, listWebhookDeliveries, listWebhooks } from '../../services/webhooks/manage.js';
import { inOrg } from '../authorize.js';
import { operation } from '../operation.js';
import { noContent, success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';
import { noStore } from './secrets.js';

const Webhook = Ref(WebhookSchema);

const webhooks: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/orgs/:org/webhooks',
    {
      ...operation({
        id: 'createWebhook',
        tag: 'webhooks',
        summary: 'Create a webhook endpoint (org.manage); its signing secret is in this response only',
        description:
          'Deliveries are POSTs signed by the Standard Webhooks convention (webhook-id, webhook-timestamp, webhook-signature). ' +
          'The URL must be http or https and reach a public address (422 otherwise) unless the deployment allows private ones.',
        params: OrgParams,
        body: CreateWebhookBody,
        responses: { 201: success('The webhook and its signing secret, shown once.', WebhookWithSecretSchema) },
        problems: [422],
        authorize: inOrg('org.manage', 'write'),
      }),
    },
    async (request, reply) => noStore(reply).status(201).send(await createWebhook(ctx, request.caller, request.params.org, request.body)),
  );

  app.get(
    '/orgs/:org/webhooks',
    {
      ...operation({
        id: 'listWebhooks',
        tag: 'webhooks',
        summary: "List the org's webhook endpoints, newest first (org.manage)",
        params: OrgParams,
        querystring: PageQuerySchema,
        responses: { 200: success('A page of webhooks.', Page(Webhook)) },
        authorize: inOrg('org.manage', 'read'),
      }),
    },
    async (request) => listWebhooks(ctx, request.caller, request.params.org, request.query),
  );

  app.get(
    '/orgs/:org/webhooks/:id',
    {
      ...operation({
        id: 'getWebhook',
        tag: 'webhooks',
        summary: 'One webhook endpoint (org.manage)',
        params: WebhookParams,
        responses: { 200: success('The webhook.', Webhook) },
        authorize: inOrg('org.manage', 'read'),
      }),
    },
    async (request) => getWebhook(ctx, request.caller, request.params.org, request.params.id),
  );

  app.delete(
    '/orgs/:org/webhooks/:id',
    {
      ...operation({
        id: 'deleteWebhook',
        tag: 'webhooks',
        summary: 'Delete a webhook endpoint and its pending deliveries (org.manage)',
        params: WebhookParams,
        responses: { 204: noContent('Deleted.') },
        authorize: inOrg('org.manage', 'write'),
      }),
    },
    async (request, reply) => {
      await deleteWebhook(ctx, request.caller, request.params.org, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/orgs/:org/webhooks/:id/deliveries',
    {
      ...operation({
        id: 'listWebhookDeliveries',
        tag: 'webhooks',
        summary: "The endpoint's delivery log: every attempt, newest first (org.manage)",
        params: WebhookParams,
        querystring: WebhookDeliveriesQuery,
        responses: { 200: success('A page of delivery attempts.', Page(WebhookDeliverySchema)) },
        authorize: inOrg('org.manage', 'read'),
      }),
    },
    async (request) => listWebhookDeliveries(ctx, request.caller, request.params.org, request.params.id, request.query),
  );
};

export default webhooks;
