import { AddMemberBody, ChangeRoleBody, MemberParams, MembershipSchema, OrgParams, Page, PageQuerySchema } from '../../contract/index.js';
import { addMember, changeMemberRole, listMembers, removeMember } from '../../services/members.js';
import { inOrg } from '../authorize.js';
import { operation } from '../operation.js';
import { noContent, success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const members: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs/:org/members',
    operation({
      id: 'listMembers',
      authorize: inOrg(['members.manage', 'tokens.manage', 'tokens.impersonate'], 'read'),
      tag: 'members',
      summary: 'List the members (members.manage, tokens.manage or tokens.impersonate)',
      description: 'In user id order. Service accounts are listed too.',
      params: OrgParams,
      querystring: PageQuerySchema,
      responses: { 200: success('A page of members.', Page(MembershipSchema)) },
    }),
    async (request) => listMembers(ctx, request.caller, request.params.org, request.query),
  );

  app.post(
    '/orgs/:org/members',
    operation({
      id: 'addMember',
      authorize: inOrg('members.manage', 'write'),
      tag: 'members',
      summary: 'Add an existing user to the org with a role (members.manage)',
      description:
        'Only an owner grants the owner role; nobody grants a role with permissions they lack. ' +
        'An unknown or deactivated user is 422; an existing member 409.',
      params: OrgParams,
      body: AddMemberBody,
      responses: { 201: success('The membership.', MembershipSchema) },
      problems: [409, 422],
    }),
    async (request, reply) => reply.status(201).send(await addMember(ctx, request.caller, request.params.org, request.body)),
  );

  app.patch(
    '/orgs/:org/members/:user',
    operation({
      id: 'changeMemberRole',
      authorize: inOrg('members.manage', 'write'),
      tag: 'members',
      summary: "Change a member's role (members.manage)",
      description: "The last owner cannot be demoted (409). The member's tokens are at once limited to the new role.",
      params: MemberParams,
      body: ChangeRoleBody,
      responses: { 200: success('The membership as it is now.', MembershipSchema) },
      problems: [409, 422],
    }),
    async (request) => changeMemberRole(ctx, request.caller, request.params.org, request.params.user, request.body.role),
  );

  app.delete(
    '/orgs/:org/members/:user',
    operation({
      id: 'removeMember',
      authorize: inOrg('members.manage', 'write'),
      tag: 'members',
      summary: 'Remove a member (members.manage); all their tokens in the org are disabled',
      description: 'The last owner cannot be removed (409). Service accounts are deactivated instead.',
      params: MemberParams,
      responses: { 204: noContent('Removed.') },
      problems: [409],
    }),
    async (request, reply) => {
      await removeMember(ctx, request.caller, request.params.org, request.params.user);
      return reply.status(204).send(null);
    },
  );
};

export default members;
