import { Type } from 'typebox';
import { createUserAsSiteAdmin, deactivateUser, listPeople, reactivateUser } from '../../services/users.js';
import { managementSecurity, Page, PageQuery, problemResponses } from '../schemas/common.js';
import { NewUserFields } from '../schemas/new-user.js';
import { userView } from '../schemas/user.js';
import type { RoutePlugin } from './index.js';

const UserParams = Type.Object({ user: Type.String({ maxLength: 64, description: 'The user id (usr_…).' }) });

const CreateUserBody = Type.Object(
  { ...NewUserFields, site_admin: Type.Optional(Type.Boolean({ default: false })) },
  { additionalProperties: false },
);

const conflict = { 409: Type.Ref('Problem') } as const;

const users: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/users',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['users'],
        summary: 'Create a user who signs in with a password (site admin)',
        description: 'A taken email is 409.',
        security: managementSecurity,
        body: CreateUserBody,
        response: { 201: Type.Ref('User'), ...problemResponses, ...conflict },
      },
    },
    async (request, reply) => {
      const { email, name, password, site_admin } = request.body;
      const user = await createUserAsSiteAdmin(ctx, request.caller, { email, name, password, siteAdmin: site_admin ?? false });
      return reply.status(201).send(userView(user));
    },
  );

  app.get(
    '/users',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['users'],
        summary: 'List people, newest first (site admin); service accounts are listed per org',
        security: managementSecurity,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(Type.Ref('User')), ...problemResponses },
      },
    },
    async (request) => {
      const page = await listPeople(ctx, request.caller, { limit: request.query.limit ?? 50, cursor: request.query.cursor });
      return { data: page.items.map(userView), next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/users/:user/deactivate',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['users'],
        summary: 'Deactivate a user (site admin): their tokens in every org are disabled and their sessions end',
        description: 'Deactivating yourself is 409.',
        security: managementSecurity,
        params: UserParams,
        response: { 200: Type.Ref('User'), ...problemResponses, ...conflict },
      },
    },
    async (request) => {
      return userView(await deactivateUser(ctx, request.caller, request.params.user));
    },
  );

  app.post(
    '/users/:user/reactivate',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['users'],
        summary: 'Reactivate a user (site admin); their tokens stay disabled until enabled one by one',
        security: managementSecurity,
        params: UserParams,
        response: { 200: Type.Ref('User'), ...problemResponses },
      },
    },
    async (request) => {
      return userView(await reactivateUser(ctx, request.caller, request.params.user));
    },
  );
};

export default users;
