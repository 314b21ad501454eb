import { Type } from 'typebox';
import { addMember, changeMemberRole, listMembers, removeMember } from '../../services/members.js';
import { managementSecurity, OrgParams, Page, PageQuery, problemResponses } from '../schemas/common.js';
import { MembershipSchema, membershipView } from '../schemas/member.js';
import type { RoutePlugin } from './index.js';

const Role = Type.String({ minLength: 1, maxLength: 64, description: 'owner, admin, member, or a custom role id (rol_…).' });

const MemberParams = Type.Object({ ...OrgParams.properties, user: Type.String({ maxLength: 64, description: 'The user id.' }) });

const AddMemberBody = Type.Object(
  {
    user_id: Type.Optional(Type.String({ maxLength: 64 })),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    role: Role,
  },
  { additionalProperties: false, description: 'Name the user by user_id or by email (one of them).' },
);

const ChangeRoleBody = Type.Object({ role: Role }, { additionalProperties: false });

const conflict = { 409: Type.Ref('Problem') } as const;

const members: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs/:org/members',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['members'],
        summary: 'List the members (members.manage, tokens.manage or tokens.impersonate)',
        description: 'In user id order. Service accounts are listed too.',
        security: managementSecurity,
        params: OrgParams,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(MembershipSchema), ...problemResponses },
      },
    },
    async (request) => {
      const page = await listMembers(ctx, request.caller, request.params.org, { limit: request.query.limit ?? 50, cursor: request.query.cursor });
      return { data: page.items.map(membershipView), next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/orgs/:org/members',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['members'],
        summary: 'Add an existing user to the org with a role (members.manage)',
        description:
          'Only an owner grants the owner role; nobody grants a role with permissions they lack. ' +
          'An unknown or deactivated user is 422; an existing member 409.',
        security: managementSecurity,
        params: OrgParams,
        body: AddMemberBody,
        response: { 201: MembershipSchema, ...problemResponses, ...conflict },
      },
    },
    async (request, reply) => {
      const { user_id, email, role } = request.body;
      const member = await addMember(ctx, request.caller, request.params.org, { userId: user_id, email, role });
      return reply.status(201).send(membershipView(member));
    },
  );

  app.patch(
    '/orgs/:org/members/:user',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['members'],
        summary: "Change a member's role (members.manage)",
        description: 'The last owner cannot be demoted (409). The member\'s tokens are at once limited to the new role.',
        security: managementSecurity,
        params: MemberParams,
        body: ChangeRoleBody,
        response: { 200: MembershipSchema, ...problemResponses, ...conflict },
      },
    },
    async (request) => {
      const member = await changeMemberRole(ctx, request.caller, request.params.org, request.params.user, request.body.role);
      return membershipView(member);
    },
  );

  app.delete(
    '/orgs/:org/members/:user',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['members'],
        summary: 'Remove a member (members.manage); all their tokens in the org are disabled',
        description: 'The last owner cannot be removed (409). Service accounts are deactivated instead.',
        security: managementSecurity,
        params: MemberParams,
        response: { 204: Type.Null(), ...problemResponses, ...conflict },
      },
    },
    async (request, reply) => {
      await removeMember(ctx, request.caller, request.params.org, request.params.user);
      return reply.status(204).send(null);
    },
  );
};

export default members;
