import { CreateRoleBody, OrgParams, Page, RoleParams, RoleSchema, UpdateRoleBody } from '../../contract/index.js';
import { createRole, deleteRole, listRoles, updateRole } from '../../services/roles.js';
import { inOrg } from '../authorize.js';
import { operation } from '../operation.js';
import { noContent, success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const roles: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs/:org/roles',
    operation({
      id: 'listRoles',
      authorize: inOrg(['roles.manage', 'members.manage'], 'read'),
      tag: 'roles',
      summary: 'Built-in roles (read-only) and then custom roles (roles.manage or members.manage)',
      description: 'Not paginated.',
      params: OrgParams,
      responses: { 200: success('Every role of the org.', Page(RoleSchema)) },
    }),
    async (request) => ({ data: await listRoles(ctx, request.caller, request.params.org), next_cursor: null }),
  );

  app.post(
    '/orgs/:org/roles',
    operation({
      id: 'createRole',
      authorize: inOrg('roles.manage', 'write'),
      tag: 'roles',
      summary: 'Create a custom role (roles.manage)',
      description: 'A role cannot grant a permission its creator lacks (403). A name taken by a built-in or custom role is 409.',
      params: OrgParams,
      body: CreateRoleBody,
      responses: { 201: success('The new role.', RoleSchema) },
      problems: [409],
    }),
    async (request, reply) => reply.status(201).send(await createRole(ctx, request.caller, request.params.org, request.body)),
  );

  app.patch(
    '/orgs/:org/roles/:role',
    operation({
      id: 'updateRole',
      authorize: inOrg('roles.manage', 'write'),
      tag: 'roles',
      summary: "Change a custom role (roles.manage); its holders' tokens follow at once",
      params: RoleParams,
      body: UpdateRoleBody,
      responses: { 200: success('The role as it is now.', RoleSchema) },
      problems: [409],
    }),
    async (request) => updateRole(ctx, request.caller, request.params.org, request.params.role, request.body),
  );

  app.delete(
    '/orgs/:org/roles/:role',
    operation({
      id: 'deleteRole',
      authorize: inOrg('roles.manage', 'write'),
      tag: 'roles',
      summary: 'Delete a custom role (roles.manage); 409 while a member holds it',
      params: RoleParams,
      responses: { 204: noContent('Deleted.') },
      problems: [409],
    }),
    async (request, reply) => {
      await deleteRole(ctx, request.caller, request.params.org, request.params.role);
      return reply.status(204).send(null);
    },
  );
};

export default roles;
