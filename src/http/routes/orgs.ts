import { Type } from 'typebox';
import { createOrg, getOrg, listMyOrgs, updateOrg } from '../../services/orgs.js';
import { managementSecurity, OrgParams, Page, PageQuery, problemResponses } from '../schemas/common.js';
import { EntitlementName, OrgSchema, orgView, TokenPolicyFields } from '../schemas/org.js';
import type { RoutePlugin } from './index.js';

const Features = Type.Array(EntitlementName, { maxItems: 50, description: 'Entitlements such as insights_api.' });

const CreateOrgBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    slug: Type.String({ pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$', description: 'Unique; lowercase letters, digits and hyphens.' }),
    plan: EntitlementName,
    features: Type.Optional(Features),
    owner_email: Type.Optional(Type.String({ maxLength: 254, description: 'An existing user who becomes the first owner.' })),
  },
  { additionalProperties: false },
);

const UpdateOrgBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    plan: Type.Optional(EntitlementName),
    features: Type.Optional(Features),
    token_policy: Type.Optional(Type.Partial(Type.Object(TokenPolicyFields), { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const orgs: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['orgs'],
        summary: 'List my orgs (a site admin sees every org), oldest first',
        security: managementSecurity,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(OrgSchema), ...problemResponses },
      },
    },
    async (request) => {
      const page = await listMyOrgs(ctx, request.caller, { limit: request.query.limit ?? 50, cursor: request.query.cursor });
      return { data: page.items.map((o) => orgView(o, ctx.config)), next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/orgs',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['orgs'],
        summary: 'Create an org (site admin)',
        description: 'A taken slug is 409; an owner_email that names no active user is 422.',
        security: managementSecurity,
        body: CreateOrgBody,
        response: { 201: OrgSchema, ...problemResponses, 409: Type.Ref('Problem') },
      },
    },
    async (request, reply) => {
      const { name, slug, plan, features, owner_email } = request.body;
      const org = await createOrg(ctx, request.caller, { name, slug, plan, features, ownerEmail: owner_email });
      return reply.status(201).send(orgView(org, ctx.config));
    },
  );

  app.get(
    '/orgs/:org',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['orgs'],
        summary: 'An org with its plan, features and token policy',
        security: managementSecurity,
        params: OrgParams,
        response: { 200: OrgSchema, ...problemResponses },
      },
    },
    async (request) => {
      return orgView(await getOrg(ctx, request.caller, request.params.org), ctx.config);
    },
  );

  app.patch(
    '/orgs/:org',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['orgs'],
        summary: 'Rename an org, change its token policy (org.manage), plan or features (site admin)',
        description: 'token_policy is merged into the current policy and must stay within the deployment bounds (422 otherwise).',
        security: managementSecurity,
        params: OrgParams,
        body: UpdateOrgBody,
        response: { 200: OrgSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { name, plan, features, token_policy } = request.body;
      const org = await updateOrg(ctx, request.caller, request.params.org, { name, plan, features, tokenPolicy: token_policy });
      return orgView(org, ctx.config);
    },
  );
};

export default orgs;
