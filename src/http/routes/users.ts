import { Type } from 'typebox';
import { CreateUserBody, Id, Page, PageQuerySchema, Ref, UserSchema } from '../../contract/index.js';
import { createUserAsSiteAdmin, deactivateUser, listPeople, reactivateUser } from '../../services/users.js';
import { siteAdminOnly } from '../authorize.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const UserParams = Type.Object({ user: Id('The user id (usr_…).') });
const User = Ref(UserSchema);

const users: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/users',
    operation({
      id: 'createUser',
      authorize: siteAdminOnly,
      tag: 'users',
      summary: 'Create a user who signs in with a password (site admin)',
      description: 'A taken email is 409.',
      body: CreateUserBody,
      responses: { 201: success('The new user.', User) },
      problems: [409],
    }),
    async (request, reply) => reply.status(201).send(await createUserAsSiteAdmin(ctx, request.caller, request.body)),
  );

  app.get(
    '/users',
    operation({
      id: 'listUsers',
      authorize: siteAdminOnly,
      tag: 'users',
      summary: 'List people, newest first (site admin); service accounts are listed per org',
      querystring: PageQuerySchema,
      responses: { 200: success('A page of users.', Page(User)) },
    }),
    async (request) => listPeople(ctx, request.caller, request.query),
  );

  app.post(
    '/users/:user/deactivate',
    operation({
      id: 'deactivateUser',
      authorize: siteAdminOnly,
      tag: 'users',
      summary: 'Deactivate a user (site admin): their tokens in every org are disabled and their sessions end',
      description: 'Deactivating yourself is 409.',
      params: UserParams,
      responses: { 200: success('The user as they are now.', User) },
      problems: [409],
    }),
    async (request) => deactivateUser(ctx, request.caller, request.params.user),
  );

  app.post(
    '/users/:user/reactivate',
    operation({
      id: 'reactivateUser',
      authorize: siteAdminOnly,
      tag: 'users',
      summary: 'Reactivate a user (site admin); their tokens stay disabled until enabled one by one',
      params: UserParams,
      responses: { 200: success('The user as they are now.', User) },
    }),
    async (request) => reactivateUser(ctx, request.caller, request.params.user),
  );
};

export default users;
