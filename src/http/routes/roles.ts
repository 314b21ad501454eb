import { Type } from 'typebox';
import { createRole, deleteRole, listRoles, updateRole } from '../../services/roles.js';
import { managementSecurity, OrgParams, Page, problemResponses } from '../schemas/common.js';
import { PermissionSchema, RoleSchema, roleView } from '../schemas/role.js';
import type { RoutePlugin } from './index.js';

const RoleParams = Type.Object({ ...OrgParams.properties, role: Type.String({ maxLength: 64, description: 'The custom role id (rol_…).' }) });

const Name = Type.String({ minLength: 1, maxLength: 50 });
const Description = Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]);
const Permissions = Type.Array(PermissionSchema, { maxItems: 20 });

const CreateRoleBody = Type.Object(
  { name: Name, description: Type.Optional(Description), permissions: Permissions },
  { additionalProperties: false },
);

const UpdateRoleBody = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Description), permissions: Type.Optional(Permissions) },
  { additionalProperties: false },
);

const conflict = { 409: Type.Ref('Problem') } as const;

const roles: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/orgs/:org/roles',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['roles'],
        summary: 'Built-in roles (read-only) and then custom roles (roles.manage or members.manage)',
        description: 'Not paginated.',
        security: managementSecurity,
        params: OrgParams,
        response: { 200: Page(RoleSchema), ...problemResponses },
      },
    },
    async (request) => {
      const list = await listRoles(ctx, request.caller, request.params.org);
      return { data: list.map(roleView), next_cursor: null };
    },
  );

  app.post(
    '/orgs/:org/roles',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['roles'],
        summary: 'Create a custom role (roles.manage)',
        description: 'A role cannot grant a permission its creator lacks (403). A name taken by a built-in or custom role is 409.',
        security: managementSecurity,
        params: OrgParams,
        body: CreateRoleBody,
        response: { 201: RoleSchema, ...problemResponses, ...conflict },
      },
    },
    async (request, reply) => {
      const role = await createRole(ctx, request.caller, request.params.org, request.body);
      return reply.status(201).send(roleView(role));
    },
  );

  app.patch(
    '/orgs/:org/roles/:role',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['roles'],
        summary: 'Change a custom role (roles.manage); its holders\' tokens follow at once',
        security: managementSecurity,
        params: RoleParams,
        body: UpdateRoleBody,
        response: { 200: RoleSchema, ...problemResponses, ...conflict },
      },
    },
    async (request) => {
      return roleView(await updateRole(ctx, request.caller, request.params.org, request.params.role, request.body));
    },
  );

  app.delete(
    '/orgs/:org/roles/:role',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['roles'],
        summary: 'Delete a custom role (roles.manage); 409 while a member holds it',
        security: managementSecurity,
        params: RoleParams,
        response: { 204: Type.Null(), ...problemResponses, ...conflict },
      },
    },
    async (request, reply) => {
      await deleteRole(ctx, request.caller, request.params.org, request.params.role);
      return reply.status(204).send(null);
    },
  );
};

export default roles;
